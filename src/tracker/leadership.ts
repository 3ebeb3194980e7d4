import type { Logger } from '../log.js';
import type { Lease } from '../store/lease.js';

/** Leadership lapses when the lease was last renewed this long ago (a fraction of its TTL). */
export const LAPSE_FRACTION = 2 / 3;

export interface LeadershipHooks {
  /** Became (or stayed) leader: pick up what other replicas accepted. */
  gained: () => Promise<number>;
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

  /** The lease epoch this replica leads in (undefined without a lease: nobody else can lead). */
  get epoch(): number | undefined {
    return this.lease?.epoch;
  }

  /** Takes or renews the lease now and every third of its TTL; returns what `gained` picked up. */
  async start(): Promise<number> {
    const first = await this.renew();
    if (this.lease) {
      this.timer = setInterval(
        () => void this.renew().catch((err: unknown) => this.log.warn({ err: String(err) }, 'lease check failed')),
        this.lease.ttlMs / 3,
      );
      this.timer.unref?.();
    }
    return first;
  }

  private async renew(): Promise<number> {
    if (!this.lease) return this.hooks.gained();
    if (this.stopped) return 0;
    const started = this.now();
    let won: boolean;
    try {
      won = await this.lease.acquire();
    } catch (err) {
      // Not renewed: `leader` lapses by itself once the last renewal is too old.
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'lease renewal failed');
      void this.leader;
      return 0;
    }
    if (!won) {
      this.lapse('lost the tracker lease');
      return 0;
    }
    // Counted from before the call: the claim was made no later than that.
    this.renewedAt = started;
    if (!this.held) this.log.info({ owner: this.lease.owner }, 'took the tracker lease');
    this.held = true;
    return this.hooks.gained();
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
    if (this.timer) clearInterval(this.timer);
  }

  /** Gives the lease up at once instead of making the next replica wait it out. */
  async release(): Promise<void> {
    this.held = false;
    await this.lease?.release().catch(() => undefined);
  }
}
