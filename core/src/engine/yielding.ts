/**
 * Long synchronous work (a large configuration, thousands of objects at OpenEntry) runs in slices:
 * between them the event loop serves the other devices of the process.
 */

/** Resolves after the event loop has handled what is waiting (I/O, timers). */
export function pause(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** the longest stretch of work between two pauses */
export const SLICE_MS = 20;

/** A function to await often in a long loop: it pauses once SLICE_MS have passed since the last pause. */
export function slicer(sliceMs = SLICE_MS): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    const now = performance.now();
    if (now - since < sliceMs) return undefined;
    return pause().then(() => {
      since = performance.now();
    });
  };
}
