/** A burst is over once no interaction has arrived and no acknowledgement is on the wire for this long. */
const QUIET_MS = 20;
/**
 * …but no command's work waits longer than this for a burst to end. Long enough to hold a one-second burst's follow-up
 * work (Kling's creates, record updates, card edits) until it is answered: at 250 ms that work was let in four times
 * during such a burst and took the event loop from the answers (bench/burst.ts, 400 commands in 1 s on SQLite: the
 * bot's share of the p99 about 240 ms at 250, about 30 ms at 1500). A lone command is not held at all.
 */
export const MAX_HOLD_MS = 1500;

/** What one interaction's handling tells the gate while the gate holds it (`BurstGate.hold`). */
export interface BurstHold {
  /** It awaits an answer: call what this returns once it is acknowledged (the hold does at its end at the latest). */
  awaitsAnswer(): () => void;
  /** Counts an acknowledgement while it is on the wire. */
  acking$(ack: Promise<void>): Promise<void>;
  /** Resolves once the burst is acknowledged (bounded). */
  after(): Promise<void>;
}

/**
 * Acknowledgements first: during a burst of interactions, each one's work (store, card, Kling)
 * waits until the burst has been acknowledged, because acknowledgements have a hard 3-second
 * deadline and the work does not. So does the background work: the tracker's poll and its read of
 * the store, and card writes (bench/burst.ts: each of them, landing in a burst, took the event loop
 * from its answers). One gate per process (the core's), fed by the platforms' inbound sides; all
 * waiters share it, bounded by MAX_HOLD_MS.
 */
export class BurstGate {
  /** Acknowledgements on the wire. */
  private acking = 0;
  /** Interactions that arrived and are not acknowledged yet (a card's answer waits for its record). */
  private unanswered = 0;
  private lastArrival = Number.NEGATIVE_INFINITY;
  /** Work held until the burst is over, in the order it came, each with the time it goes anyway. */
  private readonly waiting: Array<{ resolve: () => void; until: number }> = [];
  /** The next look at the waiters, when one is scheduled. */
  private turn: NodeJS.Immediate | NodeJS.Timeout | undefined;

  constructor(private readonly now: () => number) {}

  /**
   * Holds one interaction from its arrival until its handling is done: the arrival counts towards the
   * burst (any kind: autocomplete too), and an answer it awaits stops counting once it is acknowledged,
   * or when the handling ends at the latest.
   */
  async hold(handle: (hold: BurstHold) => Promise<void>): Promise<void> {
    this.seen();
    let answered: (() => void) | undefined;
    const hold: BurstHold = {
      awaitsAnswer: () => (answered ??= this.awaitsAnswer()),
      acking$: (ack) => this.acking$(ack),
      after: () => this.after(),
    };
    try {
      await handle(hold);
    } finally {
      answered?.();
    }
  }

  /** An interaction arrived (any kind: autocomplete counts towards the burst too). */
  seen(): void {
    this.lastArrival = this.now();
  }

  /** One more interaction to acknowledge; call what it returns once it is (or never will be). */
  awaitsAnswer(): () => void {
    this.unanswered++;
    let done = false;
    return () => {
      if (!done) this.unanswered--;
      done = true;
    };
  }

  /** Counts an acknowledgement while it is on the wire. */
  async acking$(ack: Promise<void>): Promise<void> {
    this.acking++;
    try {
      await ack;
    } finally {
      this.acking--;
    }
  }

  busy(): boolean {
    return this.acking > 0 || this.unanswered > 0 || this.now() - this.lastArrival < QUIET_MS;
  }

  /**
   * Resolves once the burst is acknowledged, or MAX_HOLD_MS after this call at most. The held work is let go a few
   * waiters per turn of the event loop (`releasable`), so input that arrived meanwhile is read between them: a burst
   * that only paused (a gap of QUIET_MS, or a loop that stalled that long) stops the release at its next arrival,
   * instead of meeting every held command's work at once.
   */
  after(): Promise<void> {
    if (this.waiting.length === 0 && !this.busy()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.waiting.push({ resolve, until: this.now() + MAX_HOLD_MS });
      this.schedule(true);
    });
  }

  private schedule(soon: boolean): void {
    if (this.turn || this.waiting.length === 0) return;
    const run = () => {
      this.turn = undefined;
      this.release();
    };
    this.turn = soon ? setImmediate(run) : setTimeout(run, QUIET_MS / 2);
  }

  private release(): void {
    const count = releasable(
      this.waiting.map((w) => w.until),
      this.busy(),
      this.now(),
    );
    for (const w of this.waiting.splice(0, count)) w.resolve();
    // More may go at the next turn unless the burst goes on (then look again in a moment).
    this.schedule(count > 0 && !this.busy());
  }
}

/** Waiters let go per turn of the event loop: each one's work (a store write, a Kling call) is short. */
export const RELEASE_PER_TURN = 8;

/**
 * How many of the waiters (their deadlines, in the order they came) go this turn: up to RELEASE_PER_TURN once the
 * burst is over; while it goes on, only those whose MAX_HOLD_MS has run out, as many per turn.
 */
export function releasable(deadlines: readonly number[], busy: boolean, now: number): number {
  if (!busy) return Math.min(RELEASE_PER_TURN, deadlines.length);
  let due = 0;
  while (due < deadlines.length && due < RELEASE_PER_TURN && (deadlines[due] ?? Infinity) <= now) due++;
  return due;
}
