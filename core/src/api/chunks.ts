/**
 * The chunk rule every HDF5 sink applies (a pure function: shapes in, chunk shape out).
 *
 * A chunk is the unit HDF5 allocates, reads, writes and compresses. An uncompressed chunk is
 * stored whole as soon as one element is written, so a big chunk makes a short scan's file big
 * (64 KiB per 1-D dataset made a 6-point scan 12× the reference's file); and a flush rewrites the
 * whole chunk in progress, so with a flush after every Record the write cost grows with the chunk.
 * Too small a chunk costs an index entry and an I/O per chunk, which only shows when a long
 * series is read whole. Rule (measurements in plugins/sink-hdf5/README.md):
 *  - along the record axis, as many records as fit `chunkBytes` (at least one frame);
 *  - when the client announced the scan's length (`expectedRecords`, the global JSON's
 *    `npoints`), no more records than that: a 6-point scan's chunk holds 6 points, a long scan's
 *    the full `chunkBytes`;
 *  - when it did not, at most `maxRecords`: small frames (scalars) get small chunks (256 float64
 *    = 2 KiB), so short scans make small files; spectra and images keep about `chunkBytes`;
 *  - a frame bigger than `maxChunkBytes` is split along its largest axes;
 *  - data written once: its known axes whole, unknown ones sized to `chunkBytes`.
 */
export interface ChunkPolicy {
  /** bytes a chunk aims at: the record axis gets as many records as fit */
  readonly chunkBytes: number;
  /** a single frame larger than this is split along its largest axes */
  readonly maxChunkBytes: number;
  /** records per chunk at most when the scan's length was not announced (default: no limit beyond chunkBytes) */
  readonly maxRecords?: number;
}

/** what the engine knows of a dataset when it is created */
export interface ChunkRequest {
  /** the initial extent; 0 for a length not known yet */
  readonly shape: readonly number[];
  /** the axis records are appended along; undefined for data written once */
  readonly recordAxis?: number;
  /** the expected frame (the shape without the record axis), where the engine knows it */
  readonly frameShape?: readonly number[];
  /** bytes per element in the file */
  readonly elementBytes: number;
  /** records the client announced for the scan, where it did */
  readonly expectedRecords?: number;
}

const MAX_ROWS = 1 << 20;
/**
 * The chunk length of a frame axis whose length is not known when the dataset is created (the
 * engine asks the source first, so this is rare): one element per chunk along it would make an
 * image thousands of chunks; 64 keeps both small and large frames workable.
 */
const UNKNOWN_AXIS = 64;

function halveLargest(chunk: number[], elem: number, max: number): void {
  while (elem * chunk.reduce((a, b) => a * b, 1) > max) {
    let big = -1;
    for (let i = 0; i < chunk.length; i++) if (chunk[i]! > 1 && (big < 0 || chunk[i]! > chunk[big]!)) big = i;
    if (big < 0) return;
    chunk[big] = Math.ceil(chunk[big]! / 2);
  }
}

/** The chunk shape for a dataset (see the rule above). */
export function chunkShape(req: ChunkRequest, policy: ChunkPolicy): number[] {
  const elem = req.elementBytes;
  const target = Math.max(policy.chunkBytes, elem);
  const max = Math.max(policy.maxChunkBytes, elem);
  const { shape, recordAxis } = req;
  if (recordAxis !== undefined) {
    const frame = shape.filter((_, i) => i !== recordAxis).map((d, i) => Math.max(d, req.frameShape?.[i] ?? 0) || UNKNOWN_AXIS);
    const frameBytes = elem * frame.reduce((a, b) => a * b, 1);
    const chunk = [...frame];
    let rows = 1;
    if (frameBytes <= target) rows = Math.min(MAX_ROWS, Math.floor(target / frameBytes));
    else halveLargest(chunk, elem, max);
    const announced = req.expectedRecords;
    const limit = announced !== undefined && Number.isInteger(announced) && announced >= 1 ? announced : policy.maxRecords;
    if (limit !== undefined) rows = Math.min(rows, limit);
    chunk.splice(recordAxis, 0, Math.max(1, rows));
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
  halveLargest(chunk, elem, max);
  return chunk;
}
