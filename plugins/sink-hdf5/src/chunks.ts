/**
 * Chunk shapes. A chunk is the unit HDF5 reads, writes and compresses: too small and a scan of
 * scalars needs one index entry and one I/O per point; too big and a short scan wastes disk
 * (an uncompressed chunk is stored whole) and readers with h5py's 1 MiB chunk cache thrash.
 */
export interface ChunkPolicy {
  /** bytes a chunk aims at: the record axis gets as many rows as fit */
  readonly chunkBytes: number;
  /** a single frame larger than this is split along its leading axes */
  readonly maxChunkBytes: number;
}

const MAX_ROWS = 1 << 20;
/**
 * The chunk length of a frame axis whose length is not known when the dataset is created (the
 * engine asks the source first, so this is rare): one element per chunk along it would make an
 * image thousands of chunks; 64 keeps both small and large frames workable.
 */
const UNKNOWN_AXIS = 64;

function shrink(chunk: number[], elem: number, max: number, skip?: number): void {
  while (elem * chunk.reduce((a, b) => a * b, 1) > max) {
    let big = -1;
    for (let i = 0; i < chunk.length; i++) if (i !== skip && chunk[i]! > 1 && (big < 0 || chunk[i]! > chunk[big]!)) big = i;
    if (big < 0) return;
    chunk[big] = Math.ceil(chunk[big]! / 2);
  }
}

/**
 * The chunk shape for a dataset of `shape` (zeros allowed: unknown yet) whose records grow along
 * `recordAxis` (undefined for data written once). `frameHint` is the expected frame shape.
 */
export function chooseChunks(shape: readonly number[], recordAxis: number | undefined, frameHint: readonly number[] | undefined, elem: number, policy: ChunkPolicy): number[] {
  const target = Math.max(policy.chunkBytes, elem);
  if (recordAxis !== undefined) {
    const frame = shape.filter((_, i) => i !== recordAxis).map((d, i) => Math.max(d, frameHint?.[i] ?? 0) || UNKNOWN_AXIS);
    const frameBytes = elem * frame.reduce((a, b) => a * b, 1);
    const chunk = [...frame];
    if (frameBytes <= target) {
      chunk.splice(recordAxis, 0, Math.max(1, Math.min(MAX_ROWS, Math.floor(target / frameBytes))));
    } else {
      shrink(chunk, elem, Math.max(policy.maxChunkBytes, elem));
      chunk.splice(recordAxis, 0, 1);
    }
    return chunk;
  }
  // written whole: known axes as they are, unknown ones sized to the target
  let known = shape.filter((d) => d > 0).reduce((a, b) => a * b, 1) * elem;
  const chunk = shape.map((d) => (d > 0 ? d : 0));
  for (let i = 0; i < chunk.length; i++) {
    if (chunk[i] !== 0) continue;
    chunk[i] = Math.max(1, Math.min(MAX_ROWS, Math.floor(target / known)));
    known *= chunk[i]!;
  }
  shrink(chunk, elem, Math.max(policy.maxChunkBytes, elem));
  return chunk;
}
