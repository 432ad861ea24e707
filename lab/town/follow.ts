// Who follows whom on the devices. `all`: everyone follows everyone from the start, auto-follow off (the
// limit is then the exact bound). `auto`: nobody follows anyone at first, devices auto-follow as shipped.
// A file: one "<follower> <followed>" pair a line (node ids as the trace names them, "#" comments), auto-follow off.
import { checkNodeId, TraceError } from './trace.js';

export type FollowMode = { kind: 'all' } | { kind: 'auto' } | { kind: 'file'; path: string };

export function parseFollowMode(text: string): FollowMode {
  if (text === 'all') return { kind: 'all' };
  if (text === 'auto') return { kind: 'auto' };
  if (text === '') throw new TraceError('--follow needs all, auto or a file');
  return { kind: 'file', path: text };
}

/** Follow edges as [follower, followed]. */
export type FollowEdges = Array<[string, string]>;

export function parseFollowGraph(text: string, nodes: readonly string[]): FollowEdges {
  const known = new Set(nodes);
  const edges: FollowEdges = [];
  const seen = new Set<string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const where = `follow graph line ${i + 1}`;
    const line = (lines[i] ?? '').replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    if (fields.length !== 2) throw new TraceError(`${where}: expected "<follower> <followed>", got "${line}"`);
    const [a, b] = fields as [string, string];
    for (const id of [a, b]) {
      checkNodeId(id, where);
      if (!known.has(id)) throw new TraceError(`${where}: node ${id} has no contact in the window`);
    }
    if (a === b) throw new TraceError(`${where}: node ${a} cannot follow itself`);
    const key = `${a} ${b}`;
    if (seen.has(key)) continue;
    seen.add(key);
    edges.push([a, b]);
  }
  return edges;
}

export function followEdges(mode: FollowMode, nodes: readonly string[], fileText?: string): FollowEdges {
  switch (mode.kind) {
    case 'all':
      return nodes.flatMap((a) => nodes.filter((b) => b !== a).map((b): [string, string] => [a, b]));
    case 'auto':
      return [];
    case 'file':
      return parseFollowGraph(fileText ?? '', nodes);
  }
}
