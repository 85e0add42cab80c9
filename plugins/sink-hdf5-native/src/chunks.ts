/**
 * Chunk shapes for the native sink. The rule: a record-axis chunk aims at `chunkBytes`
 * (default 2 KiB) — small, because an uncompressed chunk is stored whole and beamlines run
 * thousands of short scans (the reference writer uses one row per chunk: tiny files, slow reads
 * of long scans). 2 KiB holds 256 float64 points, so a 6-point scan's scalar dataset costs 2 KiB
 * and a million-point one ~4000 chunks, which HDF5's B-tree indexes and h5py reads at full speed.
 * A frame larger than the target is one chunk per frame (split along its leading axes beyond
 * `maxChunkBytes`). Data written once is chunked as its shape. The datasets stay open, so the
 * chunk cache absorbs the per-Record writes whatever the chunk size.
 */
export interface ChunkPolicy {
  /** bytes a record-axis chunk aims at: the record axis gets as many rows as fit */
  readonly chunkBytes: number;
  /** a single frame larger than this is split along its leading axes */
  readonly maxChunkBytes: number;
}

export const DEFAULT_CHUNKS: ChunkPolicy = { chunkBytes: 2048, maxChunkBytes: 4 << 20 };

/** a frame axis of unknown length gets this chunk length (the engine usually knows the frame) */
const UNKNOWN_AXIS = 64;
const MAX_ROWS = 1 << 20;

/** Halves the longest axes (never `keep`) until the chunk fits `max` bytes. */
function fit(chunk: number[], elem: number, max: number, keep?: number): number[] {
  const bytes = (): number => elem * chunk.reduce((a, b) => a * b, 1);
  while (bytes() > max) {
    let longest = -1;
    for (let i = 0; i < chunk.length; i++) if (i !== keep && chunk[i]! > 1 && (longest < 0 || chunk[i]! > chunk[longest]!)) longest = i;
    if (longest < 0) break;
    chunk[longest] = Math.ceil(chunk[longest]! / 2);
  }
  return chunk;
}

/**
 * The chunk shape of a dataset of `shape` (0 = not known yet) growing along `recordAxis`
 * (undefined: written once); `frameHint` is the expected frame; `elem` the stored element size.
 */
export function chooseChunks(shape: readonly number[], recordAxis: number | undefined, frameHint: readonly number[] | undefined, elem: number, policy: ChunkPolicy): number[] {
  if (recordAxis === undefined) return fit(shape.map((d) => Math.max(d, 1)), elem, policy.maxChunkBytes);
  const frame = shape.filter((_, i) => i !== recordAxis).map((d, i) => Math.max(d, frameHint?.[i] ?? 0) || UNKNOWN_AXIS);
  const frameBytes = elem * frame.reduce((a, b) => a * b, 1);
  const rows = frameBytes >= policy.chunkBytes ? 1 : Math.min(MAX_ROWS, Math.floor(policy.chunkBytes / frameBytes));
  const chunk = fit(frame, elem, policy.maxChunkBytes);
  chunk.splice(recordAxis, 0, rows);
  return chunk;
}
