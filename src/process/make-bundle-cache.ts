// The build's step for one way of starting a process (scripts/bundle.js runs it with those Node options):
// makes the code cache of a bundle (cached-bundle.ts) for them.
//
//   node [OPTIONS] dist/src/process/make-bundle-cache.js BUNDLE
import { makeBundleCache } from './cached-bundle.js';

const [file] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: node make-bundle-cache.js BUNDLE\n');
  process.exit(2);
}
makeBundleCache(file);
