/**
 * One timer that fires at the earliest time asked of it: a write that may go sooner never waits
 * behind a timer set for a later one.
 */
export class WakeTimer {
  private timer: NodeJS.Timeout | undefined;
  private dueAt = 0;

  constructor(
    private readonly now: () => number,
    private readonly fire: () => void,
  ) {}

  /** Fires in `delayMs` unless it is set to fire sooner already. */
  in(delayMs: number): void {
    const wait = Math.max(0, delayMs);
    const dueAt = this.now() + wait;
    if (this.timer) {
      if (dueAt >= this.dueAt) return;
      clearTimeout(this.timer);
    }
    this.dueAt = dueAt;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fire();
    }, wait);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
