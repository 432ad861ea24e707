// The follow graph, live from ssb-friends: our own edges (for auto-follow) and each feed's hop distance (for
// "feeds we want" and for not dialling blocked peers).
import pull from 'pull-stream';
import type { SsbServer } from './libraries.js';

export class FollowGraph {
  /** Our own edges: 1 follow, -1 block, other numbers as ssb-friends reports them. */
  readonly ownEdges = new Map<string, number>();
  readonly hops = new Map<string, number>();
  private readonly drains: Array<pull.Drain<unknown>> = [];
  private readonly edgeListeners = new Set<(edges: Map<string, number>) => void>();

  constructor(ssb: SsbServer) {
    this.drain(ssb.friends.graphStream({ old: true, live: true }), (graph) => {
      const mine = graph[ssb.id];
      if (!mine) return;
      for (const [dest, value] of Object.entries(mine)) {
        if (typeof value === 'number') this.ownEdges.set(dest, value);
        else this.ownEdges.delete(dest);
      }
      for (const listener of this.edgeListeners) listener(new Map(this.ownEdges));
    });
    this.drain(ssb.friends.hopStream({ old: true, live: true }), (update) => {
      for (const [feed, distance] of Object.entries(update)) this.hops.set(feed, distance);
    });
  }

  /** Called with a copy of our edges now and whenever they change. */
  onOwnEdges(listener: (edges: Map<string, number>) => void): void {
    this.edgeListeners.add(listener);
    listener(new Map(this.ownEdges));
  }

  close(): void {
    for (const sink of this.drains) sink.abort();
    this.edgeListeners.clear();
  }

  private drain<T>(source: pull.Source<T>, op: (data: T) => void): void {
    const sink = pull.drain<T>((data) => {
      op(data);
    });
    this.drains.push(sink as pull.Drain<unknown>);
    pull(source, sink);
  }
}
