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
  private gate: Promise<void> | undefined;

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

  /** Resolves once the burst is acknowledged, or MAX_HOLD_MS from the first waiter at most. */
  after(): Promise<void> {
    if (!this.busy()) return Promise.resolve();
    this.gate ??= (async () => {
      const until = this.now() + MAX_HOLD_MS;
      while (this.busy() && this.now() < until) await new Promise((r) => setTimeout(r, QUIET_MS / 2));
      this.gate = undefined;
    })();
    return this.gate;
  }
}
