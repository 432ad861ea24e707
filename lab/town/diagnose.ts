// `node dist/lab/town/diagnose.js --trace FILE --results DIR`: where a finished town run lost its deliveries
// (misses.ts), from its town.json and device logs. The lab runs the same diagnosis at the end of every
// Smallworld replay; this re-reads a results folder.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { adjacency } from './limit.js';
import { type Diagnosis, diagnose, readLogs } from './misses.js';
import type { PostResult } from './summary.js';
import { type Contact, nodesOf, parseTrace, windowContacts } from './trace.js';

/** The diagnosis of one Smallworld run, from its posts, the window's contacts and the devices' log folder. */
export async function diagnoseRun(run: {
  posts: readonly PostResult[];
  contacts: readonly Contact[];
  start: number;
  end: number;
  speed: number;
  windowStartedAtMs: number;
  logDir: string;
}): Promise<Diagnosis> {
  const logs = await readLogs(run.logDir, nodesOf(run.contacts));
  return diagnose({
    posts: run.posts,
    contacts: run.contacts,
    graph: adjacency(run.contacts),
    end: run.end,
    speed: run.speed,
    logs,
    traceAt: (ms) => run.start + ((ms - run.windowStartedAtMs) / 1000) * run.speed,
  });
}

/** One line of figures for progress output and the report. */
export function describeDiagnosis(d: Diagnosis): string {
  const s = d.setup;
  return (
    `${s.connected}/${s.contacts} contacts connected (link-up to connection median ${s.delayRealSeconds.median} ` +
    `p90 ${s.delayRealSeconds.p90} real s); misses ${d.misses}: sender lacked it ${d.byCause['sender-lacked-it']}, ` +
    `never connected ${d.byCause['never-connected']}, connected but not replicated ` +
    `${d.byCause['connected-not-replicated']}; duplicates resolved ${d.events.duplicateResolutions}, ` +
    `refused at sequence 1 ${d.events.refusedAtSequence1}, connections cut by a lost network ${d.events.lostNetworkCuts}`
  );
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { trace: { type: 'string' }, results: { type: 'string' } },
    strict: true,
  });
  if (!values.trace || !values.results) {
    process.stderr.write('Usage: node dist/lab/town/diagnose.js --trace FILE --results DIR\n');
    return 2;
  }
  const report = JSON.parse(await readFile(join(values.results, 'town.json'), 'utf8')) as {
    start: number;
    end: number;
    speed: number;
    minContact: number;
    systems: { smallworld: { posts: PostResult[]; windowStartedAtMs?: number } | null };
  };
  const sw = report.systems.smallworld;
  if (sw === null || sw.windowStartedAtMs === undefined) {
    process.stderr.write('diagnose: the results have no Smallworld run with its window start time\n');
    return 2;
  }
  const trace = parseTrace(await readFile(values.trace, 'utf8'));
  const contacts = windowContacts(trace.contacts, {
    start: report.start,
    end: report.end,
    minContact: report.minContact,
  });
  const diagnosis = await diagnoseRun({
    posts: sw.posts,
    contacts,
    start: report.start,
    end: report.end,
    speed: report.speed,
    windowStartedAtMs: sw.windowStartedAtMs,
    logDir: join(values.results, 'logs', 'smallworld'),
  });
  await writeFile(join(values.results, 'diagnosis-smallworld.json'), `${JSON.stringify(diagnosis, null, 2)}\n`);
  process.stdout.write(`${describeDiagnosis(diagnosis)}\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`diagnose: ${error.message}\n`);
      process.exit(1);
    },
  );
}
