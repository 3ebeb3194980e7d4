/** Caps concurrent async work (provider calls). */
export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  get inUse(): number {
    return this.active;
  }

  private closed = false;
  private parkedCount = 0;

  /**
   * For a stop: work still waiting for a slot never starts (nothing of it was sent, so nothing is
   * lost: the task resumes on the next start), and nothing new starts. Its callers stay parked
   * instead of failing, so no error path runs while the process stops.
   */
  close(): void {
    this.closed = true;
    this.parkedCount += this.waiting.length;
    this.waiting.length = 0;
  }

  /** Callers left waiting by close() (each one a tracker operation that will not finish). */
  get parked(): number {
    return this.parkedCount;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) {
      this.parkedCount++;
      await new Promise<never>(() => undefined);
    }
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** Callers waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * A slot, held until the returned function is called (once; later calls do nothing). A freed slot
   * is handed straight to the first waiter, never counted free in between: a caller arriving while
   * the waiter has yet to wake would otherwise take it too, one over the limit.
   */
  async acquire(): Promise<() => void> {
    if (this.active < this.limit) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }
}

/** A refilling budget (edits per channel). */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity: number,
    private readonly refillPerSec: number,
    private readonly now: () => number,
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.refillPerSec);
    this.last = t;
  }

  /** Takes a token if, afterwards, at least `reserve` remain for more urgent work. */
  tryTake(reserve = 0): boolean {
    this.refill();
    if (this.tokens < 1 + reserve) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token (plus `reserve`) is available. */
  waitMs(reserve = 0): number {
    this.refill();
    const need = 1 + Math.min(reserve, this.capacity - 1);
    return this.tokens >= need ? 0 : Math.ceil(((need - this.tokens) / this.refillPerSec) * 1000);
  }

  /** Tokens there now. */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** After a 429 the platform's word beats our estimate: spend everything. */
  drain(): void {
    this.refill();
    this.tokens = Math.min(this.tokens, 0);
  }
}
