import { PassThrough, Transform, type Readable } from 'node:stream';

/** The clocks of a result read as a stream. */
export interface StreamClocks {
  /** No byte for this long, while the upload waits for one: a stall. */
  idleMs: number;
  /** The whole transfer, from the first read; also how long the result may wait unread. */
  totalMs: number;
}

/**
 * A result whose length Kling announced, not yet read: the open answer is held until the
 * platform's upload takes it, then passed through chunk by chunk at the pace the upload reads it,
 * so memory holds a chunk (the streams' buffers), not the file. It ends with exactly `length`
 * bytes or with an error (too many, too few, a stall, too slow): an upload fed from it is never
 * complete when the download was cut short.
 */
export class ResultStream {
  private taken = false;
  private readonly expiry: NodeJS.Timeout;

  constructor(
    private readonly body: Readable,
    readonly length: number,
    private readonly clocks: StreamClocks,
  ) {
    // Nobody took it in time (the write was held or dropped): the connection to Kling is closed.
    this.expiry = setTimeout(() => this.drop(), clocks.totalMs);
    this.expiry.unref();
  }

  /** The bytes, once. A second take, or one after the result was dropped, fails at once. */
  take(): Readable {
    if (this.taken || this.body.destroyed) {
      const none = new PassThrough();
      none.destroy(new Error('the result was already read or dropped'));
      return none;
    }
    this.taken = true;
    clearTimeout(this.expiry);
    const { length, clocks, body } = this;
    let got = 0;
    const out = new Transform({
      transform(chunk: Buffer, _enc, done) {
        got += chunk.length;
        idle.refresh();
        if (got > length) done(new Error(`more bytes than the ${length} announced`));
        else done(null, chunk);
      },
      flush(done) {
        done(got === length ? null : new Error(`download ended at ${got} of ${length} bytes`));
      },
    });
    const stop = (reason: string) => () => out.destroy(new Error(reason));
    const idle = setTimeout(stop(`download stalled (${clocks.idleMs} ms without data)`), clocks.idleMs);
    const total = setTimeout(stop('download took too long'), clocks.totalMs);
    out.on('close', () => {
      clearTimeout(idle);
      clearTimeout(total);
      // The reader gave up or failed: Kling's side is not read further.
      if (!body.readableEnded) body.destroy();
    });
    body.on('error', (err: Error) => out.destroy(err));
    body.on('end', () => clearTimeout(idle));
    body.pipe(out);
    return out;
  }

  /** Not to be read after all: closes the download (no-op once read to the end). */
  drop(): void {
    clearTimeout(this.expiry);
    if (!this.taken && !this.body.destroyed) this.body.destroy();
  }
}
