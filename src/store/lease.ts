import type Keyv from 'keyv';
import { z } from 'zod';

const LeaseValue = z.object({ owner: z.string(), until: z.number() });

/**
 * A time-limited claim held in the shared store, so that with several replicas on one Redis
 * exactly one polls Kling and edits cards. keyv has no compare-and-set, so a claim is written and
 * then read back: of two replicas racing, the last writer wins and the other sees it has lost.
 * The holder renews well before expiry; a crashed holder's claim lapses after `ttlMs`.
 */
export class Lease {
  constructor(
    private readonly kv: Keyv,
    private readonly key: string,
    readonly owner: string,
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async holder(): Promise<z.infer<typeof LeaseValue> | undefined> {
    const parsed = LeaseValue.safeParse(await this.kv.get(this.key));
    return parsed.success && parsed.data.until > this.now() ? parsed.data : undefined;
  }

  /** Takes or renews the claim; false while another live owner holds it. */
  async acquire(): Promise<boolean> {
    const current = await this.holder();
    if (current && current.owner !== this.owner) return false;
    await this.kv.set(this.key, { owner: this.owner, until: this.now() + this.ttlMs });
    return (await this.holder())?.owner === this.owner;
  }

  async release(): Promise<void> {
    if ((await this.holder())?.owner === this.owner) await this.kv.delete(this.key);
  }
}
