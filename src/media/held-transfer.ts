import type { TransferHold } from './result-stream.js';

/**
 * One card's transfer (one of MEDIA_CONCURRENCY), from its grant until its files' bytes have moved.
 * A file streamed from Kling into the upload moves until the upload has read its last byte: then
 * the bot holds none of it, and the transfer goes to the next card while the platform still answers
 * (a write waits for its answer tens of milliseconds, up to seconds, all of it time no byte moves).
 * A file held whole in memory (Kling sent no length) keeps the transfer until the write is done, so
 * such files stay bounded by the upload limit times MEDIA_CONCURRENCY. A file read again (the write
 * is sent again: a 429 after its body, another route) takes a transfer again before it is fetched.
 */
export class HeldTransfer {
  /** Frees the transfer held now; undefined while none is. */
  private release: (() => void) | undefined;
  /** Files whose bytes still move (streams not yet read to their end, since the last grant). */
  private readonly moving = new Set<number>();
  private acquiring: Promise<void> | undefined;
  private closed = false;

  constructor(
    release: () => void,
    /** Streamed files, by index: each frees its share once read to its end. */
    private readonly streamed: readonly number[],
    /** Some file is held whole in memory: the transfer stays until `close`. */
    private readonly pinned: boolean,
    /** Another transfer, for a file fetched again. */
    private readonly acquire: () => Promise<() => void>,
  ) {
    this.release = release;
    for (const i of streamed) this.moving.add(i);
    this.freeIfStill();
  }

  /** Whether a transfer is held now (for tests). */
  get held(): boolean {
    return this.release !== undefined;
  }

  /** What file `index`'s stream tells (ResultStream.heldBy). */
  holdFor(index: number): TransferHold {
    return {
      sent: () => {
        this.moving.delete(index);
        this.freeIfStill();
      },
      retake: () => this.retake(),
    };
  }

  /** The card's write is done (or dropped): nothing of it moves any more. */
  close(): void {
    this.closed = true;
    this.moving.clear();
    this.free();
  }

  /** Every streamed file moves again (one resend reads them all): one transfer for the whole resend. */
  private retake(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the result was already written or dropped'));
    for (const i of this.streamed) this.moving.add(i);
    if (this.release) return Promise.resolve();
    this.acquiring ??= this.acquire().then((release) => {
      this.acquiring = undefined;
      this.release = release;
      if (this.closed) this.free();
    });
    return this.acquiring;
  }

  private freeIfStill(): void {
    if (!this.pinned && this.moving.size === 0) this.free();
  }

  private free(): void {
    const release = this.release;
    this.release = undefined;
    release?.();
  }
}
