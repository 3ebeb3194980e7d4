/**
 * MEDIA_CONCURRENCY transfers shared by every channel. A copy is written in its card's final write,
 * and its transfer is held until then, so a transfer given to a card whose channel cannot write for
 * seconds is a transfer lost to every other channel meanwhile. So a free transfer goes to the card
 * its channel can write soonest (asked when the transfer frees, not when the card asked), then to
 * the one whose task finished first (else the one that asked first); none goes to a card its channel
 * cannot write within LEAD_MS.
 */

/** A card asking for a transfer, as the choice between them sees it. */
export interface TransferAsk {
  /** How soon its channel could write it (ms; Infinity: not within the window it can see). */
  readyInMs: number;
  /**
   * Its write would open its channel's next window. A platform window runs from its first write,
   * so an opening write late by a second makes every later window of that channel late by as much;
   * the other writes of an open window have until its end.
   */
  opens: boolean;
  /** When it asked (the earliest asked goes first among equals). */
  since: number;
  /** When its task finished at the provider: among equals, the earliest finished goes first (waitedLonger). */
  finished?: number;
}

/**
 * `a` goes before `b` among writes of one priority: in the order their tasks finished where both say
 * (the same clock), else the longest-waiting. Transfers and the outbox's writes both order this way.
 */
export const waitedLonger = (
  a: { since: number; finished?: number | undefined },
  b: { since: number; finished?: number | undefined },
): boolean =>
  a.finished !== undefined && b.finished !== undefined && a.finished !== b.finished
    ? a.finished < b.finished
    : a.since < b.since;

/** How far ahead of its channel's write a copy may start (its download's first bytes come meanwhile). */
export const LEAD_MS = 50;

const before = (a: TransferAsk, b: TransferAsk) =>
  a.opens !== b.opens ? a.opens : a.readyInMs !== b.readyInMs ? a.readyInMs < b.readyInMs : waitedLonger(a, b);

/**
 * Which waiting card gets a free transfer, among those its channel can write within `leadMs`: one
 * that opens its channel's window, then the soonest written, then the earliest finished (waitedLonger); else none,
 * and when to ask again (undefined: only once something changes).
 */
export function chooseTransfer(
  asks: readonly TransferAsk[],
  leadMs: number,
): { grant: number } | { retryInMs: number | undefined } {
  let best = -1;
  let soonest = Infinity;
  asks.forEach((a, i) => {
    soonest = Math.min(soonest, a.readyInMs);
    if (a.readyInMs > leadMs) return;
    const b = asks[best];
    if (!b || before(a, b)) best = i;
  });
  if (best >= 0) return { grant: best };
  return { retryInMs: Number.isFinite(soonest) ? Math.max(1, soonest - leadMs) : undefined };
}

/**
 * One pass of the choice: nothing changes while it is made (no time passes, no transfer is given), so
 * the claims of one channel, which all answer alike, may answer from one reckoning per round.
 */
export type AskRound = object;

/** A card's claim on a transfer. */
export interface TransferClaim {
  /** When its task finished at the provider (TransferAsk.finished). */
  finished?: number;
  /**
   * How soon its channel could write it now, and whether that write opens a window; undefined once
   * withdrawn. `round`: the choice it is asked for (the same object throughout one pass).
   */
  ask(round?: AskRound): Omit<TransferAsk, 'since'> | undefined;
  /** Told the moment its transfer is given (before the download starts), so its channel counts it at once. */
  granted?(): void;
}

/** The card went away before its transfer came: nothing was downloaded. */
export class TransferWithdrawnError extends Error {
  constructor() {
    super('the card no longer wants its transfer');
    this.name = 'TransferWithdrawnError';
  }
}

interface Waiter {
  claim: TransferClaim;
  /** Its claim as the last round of the choice saw it: one object for its whole wait, updated in place. */
  ask: TransferAsk;
  grant: () => void;
  withdraw: () => void;
}

/**
 * At most `limit` transfers at a time, each given by `chooseTransfer` when one is free: on a release,
 * a new claim, `reconsider()` (a channel's window changed), or when the soonest card becomes
 * writable. A transfer is counted taken the moment it is given, so no newcomer can take it twice.
 */
export class TransferSlots {
  private active = 0;
  private readonly waiting: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  /**
   * The asks of one round, reused: a round runs on every write of every channel while a transfer is free, over
   * every card waiting, and fresh objects for each made ~13% of the bot's allocation under a burst of results.
   */
  private readonly asks: TransferAsk[] = [];

  constructor(
    private readonly limit: number,
    private readonly now: () => number = Date.now,
    private readonly leadMs = LEAD_MS,
  ) {}

  get inUse(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** A transfer for `claim`, held until the returned function is called (once; later calls do nothing). */
  acquire(claim: TransferClaim = { ask: () => ({ readyInMs: 0, opens: false }) }): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const finished = claim.finished;
      const ask: TransferAsk = {
        readyInMs: Infinity,
        opens: false,
        since: this.now(),
        ...(finished !== undefined ? { finished } : {}),
      };
      this.waiting.push({
        claim,
        ask,
        grant: () => resolve(this.releaser()),
        withdraw: () => reject(new TransferWithdrawnError()),
      });
      this.reconsider();
    });
  }

  /** Gives free transfers to the cards that can use them now (cheap while none is free). */
  reconsider(): void {
    if (this.active >= this.limit || this.waiting.length === 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.active < this.limit && this.waiting.length > 0) {
      const asks = this.asks;
      asks.length = 0;
      // A new round after every grant: the card given a transfer counts in its channel from then.
      const round: AskRound = {};
      for (let i = 0; i < this.waiting.length;) {
        const w = this.waiting[i];
        if (!w) break;
        const ask = w.claim.ask(round);
        if (ask === undefined) {
          this.waiting.splice(i, 1);
          w.withdraw();
          continue;
        }
        w.ask.readyInMs = ask.readyInMs;
        w.ask.opens = ask.opens;
        asks.push(w.ask);
        i++;
      }
      const choice = chooseTransfer(asks, this.leadMs);
      if (!('grant' in choice)) {
        if (choice.retryInMs !== undefined) {
          this.timer = setTimeout(() => this.reconsider(), choice.retryInMs);
          this.timer.unref();
        }
        return;
      }
      const [w] = this.waiting.splice(choice.grant, 1);
      this.active++;
      w?.claim.granted?.();
      w?.grant();
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.reconsider();
    };
  }
}
