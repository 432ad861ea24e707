// The control protocol spoken on the daemon's Unix socket by the CLI, the web GUI, the SSB peer and tests.
// One JSON object per line each way. Requests: {"id": 1, "cmd": "status", ...args}.
// Replies: {"id": 1, "ok": true, "result": ...} or {"id": 1, "ok": false, "error": {"code", "message"}}.
// After "subscribe" the daemon also pushes {"event": "status", "status": ...} lines.
// Each command's reply type is in ControlReplies: the daemon's handlers must return it, and the CLI, the web
// page and tests receive it, so a wrong or missing field is a compile error on both sides.
import * as z from 'zod';
import type { FullStatus } from '../device/status.js';
import type { ApSettings } from '../wifi/config-gen.js';
import type { SimSnapshot } from '../wifi/sim.js';

export const MAX_REQUEST_BYTES = 64 * 1024;

const mac = z
  .string()
  .regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'expected a MAC address like 02:00:00:00:01:00')
  .transform((m) => m.toLowerCase());

export const requestSchema = z.discriminatedUnion('cmd', [
  z.object({ cmd: z.literal('status') }),
  z.object({ cmd: z.literal('press'), button: z.enum(['ap', 'wps']) }),
  z.object({ cmd: z.literal('ap'), on: z.boolean() }),
  z.object({ cmd: z.literal('wps'), action: z.enum(['start', 'cancel']) }),
  z.object({ cmd: z.literal('wps.auto-role'), enabled: z.boolean() }),
  z.object({ cmd: z.literal('subscribe') }),
  z.object({ cmd: z.literal('keys.one-time'), enabled: z.boolean() }),
  z.object({ cmd: z.literal('keys.revoke'), mac }),
  z.object({ cmd: z.literal('replication'), replicating: z.boolean() }),
  z.object({
    cmd: z.literal('peer.report'),
    web: z.object({ url: z.string().max(200).nullable() }).optional(),
  }),
  z.object({ cmd: z.literal('wifi.get') }),
  z.object({
    cmd: z.literal('wifi.ap.set'),
    ssid: z.string().max(256).optional(),
    passphrase: z.string().max(256).optional(),
  }),
  z.object({ cmd: z.literal('wifi.networks.add'), ssid: z.string().max(256), passphrase: z.string().max(256) }),
  z.object({ cmd: z.literal('wifi.networks.remove'), ssid: z.string().max(256) }),
  z.object({ cmd: z.literal('wifi.networks.order'), ssids: z.array(z.string().max(256)).max(64) }),
  // The simulated neighbourhood (only with `start --sim`).
  z.object({ cmd: z.literal('sim.state') }),
  z.object({ cmd: z.literal('sim.other-wps'), mac: mac.optional() }),
  z.object({ cmd: z.literal('sim.phone'), action: z.enum(['join', 'leave']), mac }),
  z.object({
    cmd: z.literal('sim.network'),
    ssid: z.string().min(1).max(32),
    bssid: mac,
    known: z.boolean(),
    inRange: z.boolean(),
  }),
]);

export type Request = z.infer<typeof requestSchema>;
export type Command = Request['cmd'];
export const COMMANDS: readonly Command[] = requestSchema.options.map((o) => o.shape.cmd.value);

/** This device's network and the known networks, as `wifi.get` and every `wifi.*` change answer. */
export interface WifiView {
  ap: ApSettings;
  knownNetworks: Array<{ ssid: string }>;
  /** The `WIFI:` payload of a QR code a phone's camera joins by. */
  qr: string;
  files: { hostapd: string; wpaSupplicant: string; dnsmasq: string };
  /** The device's own address on its access point and on its USB link. */
  addresses: { ap: string; usb: string };
}

/** What the daemon answers to each command. */
export interface ControlReplies {
  status: FullStatus;
  press: FullStatus;
  ap: FullStatus;
  wps: FullStatus;
  'wps.auto-role': FullStatus;
  subscribe: FullStatus;
  'keys.one-time': FullStatus;
  'keys.revoke': FullStatus;
  replication: null;
  'peer.report': null;
  'wifi.get': WifiView;
  'wifi.ap.set': WifiView;
  'wifi.networks.add': WifiView;
  'wifi.networks.remove': WifiView;
  'wifi.networks.order': WifiView;
  'sim.state': SimSnapshot;
  'sim.other-wps': { role: 'enrollee' | 'registrar'; mac: string };
  'sim.phone': SimSnapshot;
  'sim.network': SimSnapshot;
}

/** What the daemon pushes after `subscribe`. */
export interface StatusPush {
  event: 'status';
  status: FullStatus;
}

// ---- the same shapes for any protocol of ours: a request union on "cmd" and a map of replies ----------

/** A protocol's requests (a union discriminated by "cmd") and one reply type per command. */
export interface Protocol {
  request: { cmd: string };
  /** One reply type per command (an interface naming each command). */
  replies: object;
}
export type CommandOf<P extends Protocol> = P['request']['cmd'];
export type RequestOf<P extends Protocol, C extends CommandOf<P>> = Extract<P['request'], { cmd: C }>;
export type ArgsOf<P extends Protocol, C extends CommandOf<P>> = Omit<RequestOf<P, C>, 'cmd'>;
export type ReplyOf<P extends Protocol, C extends CommandOf<P>> = C extends keyof P['replies']
  ? P['replies'][C]
  : never;
/** A request's arguments and time limit as a parameter list: the arguments may be left out when none is needed. */
export type ArgsParameters<P extends Protocol, C extends CommandOf<P>> =
  Record<never, never> extends ArgsOf<P, C>
    ? [args?: ArgsOf<P, C>, timeoutMs?: number]
    : [args: ArgsOf<P, C>, timeoutMs?: number];

/** Fails to compile unless a protocol's reply map names every command. */
export type RepliesCover<C extends string, M extends { [K in C]: unknown }> = M;

/** The daemon's control protocol. */
export interface DeviceProtocol {
  request: Request;
  replies: RepliesCover<Command, ControlReplies>;
}

export type ErrorCode =
  | 'bad_json'
  | 'bad_request'
  | 'unknown_command'
  | 'request_too_large'
  | 'not_simulated'
  | 'failed'
  | 'internal';

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

export type Reply =
  | { id: string | number | null; ok: true; result: unknown }
  | { id: string | number | null; ok: false; error: ErrorBody };

export class ControlError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

type Parsed<R> = { id: string | number | null } & ({ ok: true; request: R } | { ok: false; error: ErrorBody });

/** A parser for one request line against a discriminated union on "cmd": a typed request, or the error to send. */
export function createParser<R extends { cmd: string }>(
  schema: z.ZodType<R>,
  commands: readonly string[],
): (line: string) => Parsed<R> {
  return (line) => {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return { id: null, ok: false, error: { code: 'bad_json', message: 'request is not valid JSON' } };
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      return { id: null, ok: false, error: { code: 'bad_request', message: 'request must be a JSON object' } };
    }
    const record = json as Record<string, unknown>;
    const rawId = record.id;
    const id = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : null;
    if (typeof record.cmd !== 'string') {
      return { id, ok: false, error: { code: 'bad_request', message: 'request needs a "cmd" string' } };
    }
    if (!commands.includes(record.cmd)) {
      return {
        id,
        ok: false,
        error: { code: 'unknown_command', message: `unknown command "${record.cmd.slice(0, 64)}"` },
      };
    }
    const { id: _drop, ...rest } = record;
    const parsed = schema.safeParse(rest);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      return {
        id,
        ok: false,
        error: { code: 'bad_request', message: `${record.cmd}: ${where}${issue?.message ?? 'invalid arguments'}` },
      };
    }
    return { id, ok: true, request: parsed.data };
  };
}

/** Parses one line of the device protocol. */
export const parseRequest = createParser<Request>(requestSchema, COMMANDS);
