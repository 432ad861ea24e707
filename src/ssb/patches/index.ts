// Every patch Smallworld makes to a library's internals, in the order applied. Each file names the package,
// the versions whose code was read and why; a package outside its patch's range is refused loudly (one error
// line each) and left as it is. One info line lists what was applied.
//
// Module patches change modules once per process and must run before the libraries are first loaded (later
// calls return the first call's outcome). Server patches change one assembled server: its hooks and methods.
import type { LogSink } from '../../log/logger.js';
import { announceLanAddress } from './announce-lan-address.js';
import { blobsNoEmptyChunks } from './blobs-no-empty-chunks.js';
import { boxStreamBatching } from './box-stream-batching.js';
import { boxStreamInboundGate } from './box-stream-inbound-gate.js';
import { classicMsgIdMemo } from './classic-msg-id-memo.js';
import { classicValidateBatch } from './classic-validate-batch.js';
import { connNetworkReset } from './conn-network-reset.js';
import { connSchedulerLan } from './conn-scheduler-lan.js';
import { db2AppendQueue } from './db2-append-queue.js';
import { db2OnceWhen } from './db2-once-when.js';
import { ebtFeedSources } from './ebt-feed-sources.js';
import { ebtReadAhead } from './ebt-read-ahead.js';
import { logBlockCache } from './log-block-cache.js';
import { logWriteRetry } from './log-write-retry.js';
import { multiblobDurableWrite } from './multiblob-durable-write.js';
import { nodeBufferDeprecation } from './node-buffer-deprecation.js';
import { applyPatch, type LibraryPatch, type PatchOutcome } from './patch.js';
import type { ServerPatchContext } from './server-context.js';
import { typedArraySliceNative } from './typedarray-slice-native.js';

export type { PatchOutcome } from './patch.js';
export type { ServerPatchContext } from './server-context.js';

/** In order: the message id memo before the validator that loads ssb-classic's modules. */
export const MODULE_PATCHES: ReadonlyArray<LibraryPatch<{ logger: LogSink }>> = [
  nodeBufferDeprecation,
  db2OnceWhen,
  classicMsgIdMemo,
  logBlockCache,
  connNetworkReset,
  connSchedulerLan,
  ebtFeedSources,
  boxStreamBatching,
  boxStreamInboundGate,
  classicValidateBatch,
  multiblobDurableWrite,
  logWriteRetry,
  typedArraySliceNative,
];

export const SERVER_PATCHES: ReadonlyArray<LibraryPatch<ServerPatchContext>> = [
  announceLanAddress,
  blobsNoEmptyChunks,
  db2AppendQueue,
  ebtReadAhead,
];

let moduleOutcomes: PatchOutcome[] | null = null;

/** Applies the module patches once per process; call before the SSB libraries are imported. */
export function patchLibraries(logger: LogSink): PatchOutcome[] {
  moduleOutcomes ??= MODULE_PATCHES.map((patch) => applyPatch(patch, { logger }));
  return [...moduleOutcomes];
}

export function patchServer(context: ServerPatchContext): PatchOutcome[] {
  return SERVER_PATCHES.map((patch) => applyPatch(patch, context));
}

/** One info line listing what was applied, and one error line per patch refused. */
export function logPatches(logger: LogSink, outcomes: readonly PatchOutcome[]): void {
  for (const outcome of outcomes) {
    if (outcome.applied) continue;
    logger.log('error', 'LIBRARY PATCH REFUSED: the library runs unpatched', {
      patch: outcome.name,
      package: outcome.package,
      version: outcome.version,
      reason: outcome.reason,
    });
  }
  logger.log('info', 'library patches applied', {
    patches: outcomes.filter((o) => o.applied).map((o) => `${o.name} (${o.package}@${o.version})`),
  });
}
