import { Module } from 'node:module';

/** Puts a module into the CommonJS cache, in place of the file at `path`, before anything requires it. */
export function replaceModule(req: NodeJS.Require, path: string, exports: unknown): void {
  const module = new Module(path);
  module.filename = path;
  module.loaded = true;
  module.exports = exports;
  req.cache[path] = module;
}
