// A small synthetic contact trace for the town's CI test, in the ONE format. Mobility model ("places"):
// a town of `places` places (home streets, a café, a market...); each person goes from place to place,
// staying a uniform 5-15 minutes, walking 1 minute between places (in contact with nobody), and choosing
// the next place uniformly. Two people are in contact while they are at the same place at the same time,
// so contacts are long and come in groups, as in the Bluetooth traces of people at a conference.
// Usage: node dist/lab/town/synthetic.js [--nodes 10] [--places 3] [--duration 1200] [--seed 7] > trace.txt
import { parseArgs } from 'node:util';
import { CommandLineError, commandLine, HELP_OPTION } from '../../src/cli/command-line.js';
import { seededRandom } from '../../test/helpers/seeded.js';

export interface SyntheticOptions {
  nodes: number;
  places: number;
  duration: number;
  seed: number;
}

interface Stay {
  person: number;
  place: number;
  from: number;
  to: number;
}

export function synthesize(options: SyntheticOptions): string {
  const next = seededRandom(options.seed);
  const stays: Stay[] = [];
  for (let person = 0; person < options.nodes; person++) {
    let t = 0;
    while (t < options.duration) {
      const place = Math.floor(next() * options.places);
      const to = Math.min(options.duration, t + 300 + Math.floor(next() * 600));
      stays.push({ person, place, from: t, to });
      t = to + 60;
    }
  }
  const events: Array<{ time: number; line: string; up: boolean }> = [];
  for (let i = 0; i < stays.length; i++) {
    for (let j = i + 1; j < stays.length; j++) {
      const x = stays[i] as Stay;
      const y = stays[j] as Stay;
      if (x.person === y.person || x.place !== y.place) continue;
      const from = Math.max(x.from, y.from);
      const to = Math.min(x.to, y.to);
      if (to <= from) continue;
      const [a, b] = x.person < y.person ? [x.person, y.person] : [y.person, x.person];
      events.push({ time: from, line: `${from} CONN ${a} ${b} up`, up: true });
      events.push({ time: to, line: `${to} CONN ${a} ${b} down`, up: false });
    }
  }
  // At equal times, partings first: a pair that parts and meets again at once is two contacts.
  events.sort((p, q) => p.time - q.time || Number(p.up) - Number(q.up) || (p.line < q.line ? -1 : 1));
  return `${events.map((e) => e.line).join('\n')}\n`;
}

const USAGE = `usage: node dist/lab/town/synthetic.js [--nodes 10] [--places 3] [--duration 1200] [--seed 7] > trace.txt

A synthetic contact trace in the ONE simulator's format (the town lab's CI trace), on stdout.
  --nodes N      people (default 10)
  --places N     places they move between (default 3)
  --duration S   trace seconds (default 1200)
  --seed N       the random seed (default 7)`;

/** A whole number of at least `min`, or a usage error naming the flag. */
function wholeNumber(flag: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    throw new CommandLineError(`--${flag} takes a whole number >= ${min}, not "${text}"`);
  return value;
}

if (process.argv[1]?.endsWith('synthetic.js')) {
  const { values } = commandLine(USAGE, () => {
    const parsed = parseArgs({
      options: {
        ...HELP_OPTION,
        nodes: { type: 'string', default: '10' },
        places: { type: 'string', default: '3' },
        duration: { type: 'string', default: '1200' },
        seed: { type: 'string', default: '7' },
      },
      strict: true,
    });
    return {
      values: {
        help: parsed.values.help,
        nodes: wholeNumber('nodes', parsed.values.nodes, 2),
        places: wholeNumber('places', parsed.values.places, 1),
        duration: wholeNumber('duration', parsed.values.duration, 1),
        seed: wholeNumber('seed', parsed.values.seed, 0),
      },
    };
  });
  process.stdout.write(synthesize(values));
}
