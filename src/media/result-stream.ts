import { PassThrough, Transform, type Readable } from 'node:stream';
import { moved } from './reclaim.js';

/** The clocks of a result read as a stream. */
export interface StreamClocks {
  /** No byte for this long, while the upload waits for one: a stall. */
  idleMs: number;
  /** The whole transfer, from the first read; also how long the result may wait unread. */
  totalMs: number;
}

/**
 * The transfer (MEDIA_CONCURRENCY) a result's bytes hold while they move: freed once a take was read
 * to its end, taken again before a second take fetches the result anew.
 */
export interface TransferHold {
  /** Every byte of a take was read (handed to the upload): this file moves no more. */
  sent(): void;
  /** A second take is about to fetch the result again: resolves once a transfer is held for it. */
  retake(): Promise<void>;
}

/** The download under an upload was cut short (stalled, too slow, too few or too many bytes). */
export class DownloadCutError extends Error {
  override readonly name = 'DownloadCutError';
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
  private dropped = false;
  private readonly expiry: NodeJS.Timeout;
  private hold: TransferHold | undefined;

  constructor(
    private readonly body: Readable,
    readonly length: number,
    private readonly clocks: StreamClocks,
    /**
     * Fetches the result again, for a second take: an upload that read it once and was refused
     * before it was kept (a 429 after the body, a route that turned out dead) sends it again.
     */
    private readonly again?: () => Promise<ResultStream | undefined>,
  ) {
    // Nobody took it in time (the write was held): the connection to Kling is closed; a take fetches it again.
    this.expiry = setTimeout(() => {
      if (!this.taken) this.body.destroy();
    }, clocks.totalMs);
    this.expiry.unref();
  }

  /** The transfer this result's bytes hold (see TransferHold); without one, nothing is told. */
  heldBy(hold: TransferHold): void {
    this.hold = hold;
  }

  /**
   * The bytes. A second take, or one after the open download was closed for waiting too long, reads
   * a fresh download when the stream can fetch one (of the same length, else it fails); otherwise,
   * or once the result was dropped, it fails at once.
   */
  take(): Readable {
    if ((this.taken || this.body.destroyed) && this.again && !this.dropped) return this.takeAgain(this.again);
    if (this.taken || this.body.destroyed || this.dropped) {
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
        moved(chunk.length);
        if (got > length) done(new DownloadCutError(`more bytes than the ${length} announced`));
        else done(null, chunk);
      },
      flush(done) {
        done(got === length ? null : new DownloadCutError(`download ended at ${got} of ${length} bytes`));
      },
    });
    const stop = (reason: string) => () => out.destroy(new DownloadCutError(reason));
    const idle = setTimeout(stop(`download stalled (${clocks.idleMs} ms without data)`), clocks.idleMs);
    const total = setTimeout(stop('download took too long'), clocks.totalMs);
    out.on('close', () => {
      clearTimeout(idle);
      clearTimeout(total);
      // The reader gave up or failed: Kling's side is not read further.
      if (!body.readableEnded) body.destroy();
    });
    body.on('error', (err: Error) => out.destroy(new DownloadCutError(err.message, { cause: err })));
    body.on('end', () => clearTimeout(idle));
    // Read to the end (exactly `length` bytes, or flush fails): the upload holds them all now.
    out.on('end', () => this.hold?.sent());
    body.pipe(out);
    return out;
  }

  private takeAgain(again: () => Promise<ResultStream | undefined>): Readable {
    const out = new PassThrough();
    const hold = this.hold;
    const fetch = hold ? () => hold.retake().then(again) : again;
    out.on('end', () => hold?.sent());
    fetch().then(
      (fresh) => {
        if (!fresh || fresh.length !== this.length || this.dropped || out.destroyed) {
          fresh?.drop();
          out.destroy(new DownloadCutError('the result could not be fetched again whole'));
          return;
        }
        const bytes = fresh.take();
        bytes.on('error', (err: Error) => out.destroy(err));
        out.on('close', () => bytes.destroy());
        bytes.pipe(out);
      },
      (err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))),
    );
    return out;
  }

  /** Not to be read after all: closes the download (no-op once read to the end). */
  drop(): void {
    this.dropped = true;
    clearTimeout(this.expiry);
    if (!this.taken && !this.body.destroyed) this.body.destroy();
  }
}
