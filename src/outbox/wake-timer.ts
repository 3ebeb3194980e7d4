/** Where a wake timer waits: the real timers, or a test's clock that it moves on when it wants. */
export interface Timers {
  setTimeout(fire: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_TIMERS: Timers = {
  setTimeout: (fire, ms) => setTimeout(fire, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * One timer that fires at the earliest time asked of it: a write that may go sooner never waits
 * behind a timer set for a later one.
 */
export class WakeTimer {
  private timer: unknown;
  private dueAt = 0;

  constructor(
    private readonly now: () => number,
    private readonly fire: () => void,
    private readonly timers: Timers = REAL_TIMERS,
  ) {}

  /** Fires in `delayMs` unless it is set to fire sooner already. */
  in(delayMs: number): void {
    const wait = Math.max(0, delayMs);
    const dueAt = this.now() + wait;
    if (this.timer !== undefined) {
      if (dueAt >= this.dueAt) return;
      this.timers.clearTimeout(this.timer);
    }
    this.dueAt = dueAt;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.fire();
    }, wait);
  }

  cancel(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
