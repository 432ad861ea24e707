// Loaded with `node --import` into every process of a system when the benchmark runs with --profile: samples
// the CPU with the inspector and writes a .cpuprofile when the process is told to stop (SIGTERM). Node's own
// --cpu-prof writes only on a clean exit, which a forked child killed by its parent never reaches.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { basename, join } from 'node:path';

const dir = process.env.SW_BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () => {
    session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start'));
  });
  process.on('SIGTERM', () => {
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      const role = process.argv.slice(2, 3).join('') || basename(process.argv[1] ?? 'node');
      writeFileSync(join(dir, `${role}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
