import type { Logger } from '../log.js';
import type { Lease } from '../store/lease.js';

/** Leadership lapses when the lease was last renewed this long ago (a fraction of its TTL). */
export const LAPSE_FRACTION = 2 / 3;

/**
 * The tracker lease's TTL. Short, so that a replica that dies (SIGKILL, a lost host) hands its
 * tasks over within about a second, whatever the poll interval: fencing keeps a short lease safe
 * (leadership lapses at 2/3 of it, and every create carries the epoch it was sent in, see
 * create-guard.ts). The leader renews every quarter of it; a follower asks every eighth.
 */
export const LEASE_TTL_MS = 1000;
const RENEW_FRACTION = 1 / 4;
const RETRY_FRACTION = 1 / 8;

export interface LeadershipHooks {
  /** Became (or stayed) leader: pick up what other replicas accepted. */
  gained: (fresh: boolean) => Promise<number>;
  /** No longer leader: drop everything held, so two replicas never write one card. */
  lost: () => void;
}

/**
 * Whether this replica may poll Kling and write cards. Without a lease it always may. With one it
 * may only while its last successful renewal is younger than 2/3 of the TTL: a replica whose
 * renewals fail (store down, process paused) stops acting before the lease can pass to another,
 * instead of acting on until it happens to learn it lost.
 */
export class Leadership {
  private renewedAt: number | undefined;
  private held: boolean;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly lease: Lease | undefined,
    private readonly hooks: LeadershipHooks,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {
    this.held = !lease;
  }

  /** True while this replica leads, by the rule above (checked at every use, not only at renewal). */
  get leader(): boolean {
    if (!this.lease) return true;
    if (!this.held || this.renewedAt === undefined) return false;
    if (this.now() - this.renewedAt < this.lease.ttlMs * LAPSE_FRACTION) return true;
    this.lapse('lease renewal overdue; stepping down');
    return false;
  }

  /** Leads, and is not stopping: what a create must still find after the store's round trip (create-guard.ts). */
  get leads(): boolean {
    return this.leader && !this.stopped;
  }

  /** The lease epoch this replica leads in (undefined without a lease: nobody else can lead). */
  get epoch(): number | undefined {
    return this.lease?.epoch;
  }

  /** Takes or renews the lease now and then on (see LEASE_TTL_MS); returns what `gained` picked up. */
  async start(): Promise<number> {
    const first = await this.renew();
    this.schedule();
    return first;
  }

  /** The next renewal (leader) or attempt (follower), once the last one is done: never two at once. */
  private schedule(): void {
    if (!this.lease || this.stopped) return;
    this.timer = setTimeout(
      () =>
        void this.renew()
          .catch((err: unknown) => this.log.warn({ err: String(err) }, 'lease check failed'))
          .finally(() => this.schedule()),
      this.lease.ttlMs * (this.held ? RENEW_FRACTION : RETRY_FRACTION),
    );
    this.timer.unref?.();
  }

  private async renew(): Promise<number> {
    if (!this.lease) return this.hooks.gained(true);
    if (this.stopped) return 0;
    const started = this.now();
    let won: boolean;
    try {
      won = await this.lease.acquire();
    } catch (err) {
      // Not renewed: `leader` lapses by itself once the last renewal is too old.
      this.log.warn({ err }, 'lease renewal failed');
      void this.leader;
      return 0;
    }
    if (!won) {
      this.lapse('lost the tracker lease');
      return 0;
    }
    // Counted from before the call: the claim was made no later than that.
    this.renewedAt = started;
    const fresh = !this.held;
    if (fresh) this.log.info({ owner: this.lease.owner, epoch: this.lease.epoch }, 'took the tracker lease');
    this.held = true;
    return this.hooks.gained(fresh);
  }

  private lapse(why: string): void {
    if (!this.held) return;
    this.held = false;
    this.renewedAt = undefined;
    this.log.info({ owner: this.lease?.owner }, why);
    this.hooks.lost();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Gives the lease up at once instead of making the next replica wait it out. */
  async release(): Promise<void> {
    this.held = false;
    await this.lease?.release().catch(() => undefined);
  }
}
