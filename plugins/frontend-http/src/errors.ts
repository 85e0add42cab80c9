/** An HTTP answer other than 200, with h5grove's messages (H5Web recognises "File not found", "not a valid path"). */
export class GroveError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}
