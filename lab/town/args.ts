// The command line of `npm run town`, parsed into options or a clear error (pure: no file is read here).
import { parseArgs } from 'node:util';
import { type FollowMode, parseFollowMode } from './follow.js';
import { parseTime, TraceError } from './trace.js';

export type SystemName = 'smallworld' | 'ssb-server';

export interface TownOptions {
  trace: string;
  /** Null: from the trace's first event / to its last. */
  start: number | null;
  end: number | null;
  speed: number;
  minContact: number;
  /** Trace seconds before the window whose contacts are replayed too, with nothing published (0: none). */
  warmUp: number;
  follow: FollowMode;
  followText: string;
  seed: number;
  json: boolean;
  out: string | null;
  postsPerNode: number;
  photos: number;
  systems: SystemName[];
  /** Real seconds the devices run on after the window, links down, before the settled readings. */
  settle: number;
  /** Each device's memory cgroup, MB (10^6 bytes), as on a board; 0 for none. */
  memoryLimitMB: number;
  help: boolean;
}

/** A Pi Zero 2 W's memory for programs (as the benchmark's --memory-limit takes it). */
export const BOARD_MEMORY_MB = 320;

export const USAGE = `Usage: npm run town -- --trace FILE [options]

Replays a contact trace (ONE format: "<time> CONN <a> <b> up|down") with one real device per node, each in
its own network namespace, and reports how close replication comes to the foremost-journey limit.

  --trace FILE          the contact trace (required)
  --start S, --end E    the window [S, E) in trace seconds (default: the whole trace)
  --speed K             trace seconds per real second (default 10)
  --min-contact M       every contact lasts at least M trace seconds (default 120: one Bluetooth scan)
  --warm-up W           also replay the contacts of [S - W, S), publishing nothing (default 0): the devices
                        meet as the trace says before the window, rather than all of S's contacts at once
  --follow all|auto|FILE  everyone follows everyone (default), auto-follow as shipped, or a follow graph
                        ("<follower> <followed>" a line)
  --seed N              seeds the post schedule (default 1)
  --posts N             posts per device (default 2); --photos N of them carry a photo (default 3)
  --systems LIST        smallworld,ssb-server (default both, one after the other)
  --settle SECONDS      real seconds after the window before the settled readings (default 10)
  --memory-limit MB     each device (all its processes) in a memory cgroup of MB, as on a board (default 320:
                        a Pi Zero 2 W's memory for programs); 0: no limit
  --out DIR             results folder (default lab/town/results/<time>)
  --json                print the results JSON on stdout (progress goes to stderr)
  -h, --help            this help
`;

function number(text: string | undefined, name: string, fallback: number, check: (n: number) => boolean): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || !check(value))
    throw new TraceError(`--${name}: "${text}" is not a valid value`);
  return value;
}

export function parseTownArgs(argv: readonly string[]): TownOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        trace: { type: 'string' },
        start: { type: 'string' },
        end: { type: 'string' },
        speed: { type: 'string' },
        'min-contact': { type: 'string' },
        'warm-up': { type: 'string' },
        follow: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
        out: { type: 'string' },
        posts: { type: 'string' },
        photos: { type: 'string' },
        systems: { type: 'string' },
        settle: { type: 'string' },
        'memory-limit': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new TraceError((error as Error).message);
  }
  const str = (name: string) => values[name] as string | undefined;
  const help = values.help === true;
  const trace = str('trace');
  if (!help && !trace) throw new TraceError('--trace FILE is required');
  const start = str('start') === undefined ? null : parseTime(str('start') as string, '--start');
  const end = str('end') === undefined ? null : parseTime(str('end') as string, '--end');
  if (start !== null && end !== null && !(end > start))
    throw new TraceError(`the window [${start}, ${end}) is empty: --end must be after --start`);
  const systemsText = str('systems') ?? 'smallworld,ssb-server';
  const systems = [...new Set(systemsText.split(','))].map((s) => {
    if (s !== 'smallworld' && s !== 'ssb-server') throw new TraceError(`--systems: unknown system "${s}"`);
    return s;
  });
  const followText = str('follow') ?? 'all';
  return {
    trace: trace ?? '',
    start,
    end,
    speed: number(str('speed'), 'speed', 10, (n) => n > 0 && n <= 10_000),
    minContact: number(str('min-contact'), 'min-contact', 120, (n) => n >= 0 && n <= 86_400),
    warmUp: number(str('warm-up'), 'warm-up', 0, (n) => n >= 0 && n <= 86_400),
    follow: parseFollowMode(followText),
    followText,
    seed: number(str('seed'), 'seed', 1, (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32),
    json: values.json === true,
    out: str('out') ?? null,
    postsPerNode: number(str('posts'), 'posts', 2, (n) => Number.isInteger(n) && n >= 0 && n <= 1000),
    photos: number(str('photos'), 'photos', 3, (n) => Number.isInteger(n) && n >= 0 && n <= 1000),
    systems,
    settle: number(str('settle'), 'settle', 10, (n) => n >= 0 && n <= 3600),
    memoryLimitMB: number(
      str('memory-limit'),
      'memory-limit',
      BOARD_MEMORY_MB,
      (n) => n === 0 || (Number.isInteger(n) && n >= 64 && n <= 65_536),
    ),
    help,
  };
}
