// The web page's calls to the connectivity daemon over its control socket, typed by the protocol
// (control/protocol.ts). A request carrying a browser's arguments is checked against the protocol's schema
// here first, so a bad one is a 400 in the schema's words rather than the daemon's refusal.
import { ControlClient } from '../control/client.js';
import {
  type ArgsParameters,
  type Command,
  type ControlReplies,
  type DeviceProtocol,
  requestSchema,
} from '../control/protocol.js';
import { HttpError } from './errors.js';

export interface DaemonCalls {
  /** A request built here, typed by the protocol (and checked all the same). */
  daemon<C extends Command>(cmd: C, ...args: ArgsParameters<DeviceProtocol, C>): Promise<ControlReplies[C]>;
  /** A request with arguments from a browser: checked against the schema first. */
  daemonUnchecked<C extends Command>(cmd: C, args: Record<string, unknown>): Promise<ControlReplies[C]>;
}

export function daemonCalls(socketPath: string): DaemonCalls {
  const daemonUnchecked = async <C extends Command>(
    cmd: C,
    args: Record<string, unknown>,
  ): Promise<ControlReplies[C]> => {
    const parsed = requestSchema.safeParse({ ...args, cmd });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HttpError(400, `${issue?.path.join('.') || cmd}: ${issue?.message ?? 'invalid'}`);
    }
    const client = await ControlClient.connect(socketPath);
    try {
      // The schema gave back a request of the same command.
      return await client.send(parsed.data as Extract<DeviceProtocol['request'], { cmd: C }>);
    } finally {
      client.close();
    }
  };
  return {
    daemonUnchecked,
    daemon: (cmd, ...[args]) => daemonUnchecked(cmd, args ?? {}),
  };
}
