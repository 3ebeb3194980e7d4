import type { Logger } from '../log.js';

/**
 * Work the tracker started and has not seen end: stop() waits for it (bounded), and nothing it
 * started throws unhandled.
 */
export class Operations {
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly log: Logger) {}

  run(p: Promise<unknown>): void {
    const op = p.catch((err: unknown) => this.log.error({ err }, 'tracker operation failed'));
    this.inflight.add(op);
    // Only the bookkeeping: `op` itself never rejects (caught above).
    void op.finally(() => this.inflight.delete(op));
  }

  /** Waits up to `deadlineMs` until no more than `parked()` operations remain (those waiting for a slot). */
  async settle(deadlineMs: number, parked: () => number): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    while (this.inflight.size > parked() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }
}
