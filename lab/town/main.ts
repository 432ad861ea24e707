// `npm run town`: replays a contact trace with real devices and reports how close each system comes to the
// limit the trace allows. See the README's "Town" section.
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findMemoryHierarchy, type MemoryHierarchy } from '../../bench/ssb/cgroup.js';
import { isAlive } from '../../bench/ssb/procs.js';
import { killEverything } from '../../bench/ssb/systems.js';
import { parseTownArgs, type SystemName, type TownOptions, USAGE } from './args.js';
import { describeDiagnosis, diagnoseRun } from './diagnose.js';
import { followEdges } from './follow.js';
import { removeStaleNamespaces } from './links.js';
import { active, removeCgroups, replay } from './replay.js';
import { chart, markdown, type SystemReport, type TownReport } from './report.js';
import { postSchedule } from './schedule.js';
import { summarize } from './summary.js';
import { nodesOf, parseTrace, TraceError, windowContacts } from './trace.js';

const RESULTS = fileURLToPath(new URL('../../../lab/town/results/', import.meta.url));

function progress(line: string): void {
  process.stderr.write(`[town ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

let cleaning: Promise<void> | null = null;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    killEverything();
    for (const run of active) {
      await run.net.destroy();
      await removeCgroups(run.cgroups);
    }
  })();
  return cleaning;
}

function onSignal(signal: NodeJS.Signals, code: number): void {
  process.once(signal, () => {
    progress(`${signal}: stopping the devices and removing the namespaces`);
    void cleanUp().finally(() => process.exit(code));
  });
}

async function main(argv: string[]): Promise<number> {
  let options: TownOptions;
  try {
    options = parseTownArgs(argv);
  } catch (error) {
    process.stderr.write(`town: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let text: string;
  try {
    text = await readFile(options.trace, 'utf8');
  } catch (error) {
    process.stderr.write(`town: cannot read the trace ${options.trace}: ${(error as Error).message}\n`);
    return 2;
  }
  let plan: ReturnType<typeof prepare>;
  try {
    const followText =
      options.follow.kind === 'file'
        ? await readFile(options.follow.path, 'utf8').catch((error: Error) => {
            throw new TraceError(`cannot read the follow graph ${options.followText}: ${error.message}`);
          })
        : undefined;
    plan = prepare(options, text, followText);
  } catch (error) {
    if (!(error instanceof TraceError)) throw error;
    process.stderr.write(`town: ${error.message}\n`);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('town: the lab creates network namespaces and needs root\n');
    return 2;
  }
  const stale = await removeStaleNamespaces();
  if (stale.length > 0) progress(`removed ${stale.length} namespaces left by an earlier run that was killed`);
  let hierarchy: MemoryHierarchy | null = null;
  if (options.memoryLimitMB > 0) {
    hierarchy = await findMemoryHierarchy();
    if (hierarchy === null) {
      process.stderr.write(
        'town: --memory-limit needs a memory cgroup (cgroup v2 with the memory controller, or v1): none here; ' +
          '--memory-limit 0 runs the devices without one\n',
      );
      return 2;
    }
    const staleCgroups = await removeStaleCgroups(hierarchy);
    if (staleCgroups > 0) progress(`removed ${staleCgroups} memory cgroups left by an earlier run that was killed`);
  }

  const { start, end, contacts, nodes, posts, follows, warnings } = plan;
  for (const w of warnings.slice(0, 5)) progress(`warning: ${w}`);
  if (warnings.length > 5) progress(`... and ${warnings.length - 5} more trace warnings (in the report)`);
  const shortest = Math.min(...contacts.map((c) => c.end - c.start));
  progress(
    `${nodes.length} devices, ${contacts.length} contacts in [${start}, ${end}); shortest ${shortest} trace s = ` +
      `${(shortest / options.speed).toFixed(1)} real s; ${posts.length} posts`,
  );
  const out = options.out ?? join(RESULTS, new Date().toISOString().replace(/[:.]/g, '-'));
  await mkdir(out, { recursive: true });

  // Bounded in time: setup, the window, the settle time and the read-back, with a generous margin.
  const perSystem =
    60 +
    nodes.length * 20 +
    follows.length * 0.2 +
    (end - plan.replayFrom) / options.speed +
    options.settle +
    nodes.length * 10;
  const budgetMs = (perSystem * options.systems.length + 60) * 1000;
  const watchdog = setTimeout(() => {
    progress(`giving up after ${Math.round(budgetMs / 1000)} s (the run's time bound); cleaning up`);
    void cleanUp().finally(() => process.exit(3));
  }, budgetMs);
  watchdog.unref();

  const report: TownReport = {
    trace: options.trace,
    start,
    end,
    speed: options.speed,
    minContact: options.minContact,
    warmUp: plan.start - plan.replayFrom,
    follow: options.followText,
    seed: options.seed,
    nodes: nodes.length,
    contacts: contacts.length,
    shortestContact: shortest,
    warnings,
    systems: { smallworld: null, ssbServer: null },
  };
  for (const system of options.systems) {
    const result = await replay({
      system,
      nodes,
      contacts,
      linkContacts: plan.linkContacts,
      replayFrom: plan.replayFrom,
      posts,
      follows,
      autoFollow: options.follow.kind === 'auto',
      start,
      end,
      speed: options.speed,
      seed: options.seed,
      settleSeconds: options.settle,
      logDir: join(out, 'logs', system),
      memoryLimit: hierarchy === null ? null : { hierarchy, bytes: options.memoryLimitMB * 1e6 },
      progress,
    });
    // A delivery stamped earlier than the limit by more than the link's setup time means the lab leaked.
    const summary = summarize(result.posts, options.speed * 0.5);
    const s: SystemReport = { ...summary, ...result };
    if (system === 'smallworld') {
      const { list, ...diagnosis } = await diagnoseRun({
        ...result,
        contacts,
        start,
        end,
        speed: options.speed,
        logDir: join(out, 'logs', system),
      });
      await writeFile(join(out, 'diagnosis-smallworld.json'), `${JSON.stringify({ ...diagnosis, list }, null, 2)}\n`);
      s.diagnosis = diagnosis;
      progress(`${system}: ${describeDiagnosis({ ...diagnosis, list })}`);
    }
    report.systems[key(system)] = s;
    progress(
      `${system}: ${s.delivered} / ${s.deliverable} delivered, delay over the limit median ` +
        `${seconds(s.delayOverLimit.median)} p90 ${seconds(s.delayOverLimit.p90)} max ${seconds(s.delayOverLimit.max)} ` +
        `trace s; peak per device ${s.resources.peakResidentMB} MB resident (${s.resources.peakRssMB} MB RSS added up)`,
    );
  }
  clearTimeout(watchdog);
  const json = contractJson(report);
  await writeFile(join(out, 'town.json'), `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(join(out, 'README.md'), markdown(report));
  await writeFile(join(out, 'chart.svg'), chart(report));
  const shown = relative(process.cwd(), out);
  progress(`results in ${shown === '' || shown.startsWith('..') ? out : shown}`);
  if (options.json) process.stdout.write(`${JSON.stringify(json)}\n`);
  return 0;
}

/** Empty cgroups of town runs whose process is gone (named after their namespace, which carries the pid). */
async function removeStaleCgroups(hierarchy: MemoryHierarchy): Promise<number> {
  let removed = 0;
  for (const name of await readdir(hierarchy.parent).catch(() => [] as string[])) {
    const match = /^tw(\d+)[a-z]-\d+-memory$/.exec(name);
    if (!match || isAlive(Number(match[1]))) continue;
    await rmdir(join(hierarchy.parent, name)).then(
      () => removed++,
      () => undefined,
    );
  }
  return removed;
}

function key(system: SystemName): 'smallworld' | 'ssbServer' {
  return system === 'smallworld' ? 'smallworld' : 'ssbServer';
}

export function prepare(options: TownOptions, text: string, followText?: string) {
  const trace = parseTrace(text);
  const first = trace.contacts[0]?.start ?? 0;
  const start = options.start ?? first;
  const end = options.end ?? trace.lastTime;
  if (!(end > start)) throw new TraceError(`the window [${start}, ${end}) is empty`);
  const contacts = windowContacts(trace.contacts, { start, end, minContact: options.minContact });
  const nodes = nodesOf(contacts);
  const posts = postSchedule({
    nodes,
    start,
    end,
    seed: options.seed,
    postsPerNode: options.postsPerNode,
    photos: options.photos,
  });
  const follows = followEdges(options.follow, nodes, followText);
  const replayFrom = Math.max(0, start - options.warmUp);
  const inWindow = new Set(nodes);
  const linkContacts =
    replayFrom < start
      ? windowContacts(trace.contacts, { start: replayFrom, end, minContact: options.minContact }).filter(
          (c) => inWindow.has(c.a) && inWindow.has(c.b),
        )
      : contacts;
  return {
    start,
    end,
    contacts,
    linkContacts,
    replayFrom,
    nodes,
    posts,
    follows,
    warnings: trace.warnings.map((w) => w.message),
  };
}

/** The results JSON: the contract's fields first, per-delivery entries exactly {node, limit, delivered}. */
export function contractJson(report: TownReport): Record<string, unknown> {
  const system = (s: SystemReport | null) =>
    s === null
      ? null
      : {
          delivered: s.delivered,
          deliverable: s.deliverable,
          ratio: s.ratio,
          delayOverLimit: s.delayOverLimit,
          posts: s.posts.map((p) => ({
            author: p.author,
            at: p.at,
            deliveries: p.deliveries.map((d) => ({ node: d.node, limit: d.limit, delivered: d.delivered })),
          })),
          byContactLength: s.byContactLength,
          resources: s.resources,
          impossible: s.impossible,
          failedPosts: s.failedPosts,
          linkLagMs: s.linkLagMs,
          setupSeconds: s.setupSeconds,
          replaySeconds: s.replaySeconds,
          windowStartedAtMs: s.windowStartedAtMs,
          ...(s.diagnosis ? { diagnosis: s.diagnosis } : {}),
        };
  return {
    trace: report.trace,
    start: report.start,
    end: report.end,
    speed: report.speed,
    minContact: report.minContact,
    warmUp: report.warmUp,
    follow: report.follow,
    seed: report.seed,
    nodes: report.nodes,
    contacts: report.contacts,
    shortestContact: report.shortestContact,
    systems: { smallworld: system(report.systems.smallworld), ssbServer: system(report.systems.ssbServer) },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  onSignal('SIGINT', 130);
  onSignal('SIGTERM', 143);
  process.once('exit', () => {
    // Last resort if something threw past the handlers: no namespace outlives the lab.
    for (const run of active) run.net.destroySync((cmd, args) => spawnSync(cmd, args));
  });
  main(process.argv.slice(2)).then(
    async (code) => {
      await cleanUp();
      process.exit(code);
    },
    async (error: Error) => {
      progress(`failed: ${error.stack ?? error.message}`);
      await cleanUp();
      process.exit(1);
    },
  );
}

/** A delay for a progress line: one decimal, or a dash when there was nothing to measure. */
function seconds(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(1) : '–';
}
