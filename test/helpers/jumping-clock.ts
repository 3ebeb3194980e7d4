import type { Timers } from '../../src/outbox/wake-timer.js';

interface Pending {
  due: number;
  fire: () => void;
  real: NodeJS.Timeout;
}

/**
 * A clock that runs with real time and jumps forward when the test says, with timers on it: a timer fires
 * when real time reaches it or when a jump passes its due time. A test that would wait out a pause moves
 * the clock past it instead (and, as the clock runs, what the test does not jump over still happens).
 */
export class JumpingClock implements Timers {
  private offset = 0;
  private readonly pending = new Set<Pending>();

  readonly now = (): number => Date.now() + this.offset;

  setTimeout(fire: () => void, ms: number): Pending {
    const t: Pending = { due: this.now() + ms, fire, real: setTimeout(() => this.run(t), ms) };
    t.real.unref();
    this.pending.add(t);
    return t;
  }

  clearTimeout(handle: unknown): void {
    const t = handle as Pending;
    clearTimeout(t.real);
    this.pending.delete(t);
  }

  /** Moves the clock on by `ms` and fires every timer now due, earliest first. */
  jump(ms: number): void {
    this.offset += ms;
    const due = [...this.pending].filter((t) => t.due <= this.now()).sort((a, b) => a.due - b.due);
    for (const t of due) this.run(t);
  }

  private run(t: Pending): void {
    if (!this.pending.delete(t)) return;
    clearTimeout(t.real);
    t.fire();
  }
}
