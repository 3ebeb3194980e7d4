import { describe, expect, it } from 'vitest';
import { MENTION_CLAIM_TTL_MS, MentionClaims } from '../src/store/mention-claims.js';
import type { ReplayCache } from '../src/store/replay-cache.js';

/** One shared store (Redis between replicas): a key is seen first once until it lapses. */
class SharedSightings implements ReplayCache {
  readonly asked: string[] = [];
  private readonly until = new Map<string, number>();
  constructor(private readonly now: () => number) {}
  async firstSighting(key: string, ttlMs: number): Promise<boolean> {
    this.asked.push(key);
    if ((this.until.get(key) ?? 0) > this.now()) return false;
    this.until.set(key, this.now() + ttlMs);
    return true;
  }
}

describe('MentionClaims', () => {
  it('GIVEN two replicas on one store THEN the first to ask mentions, on every try of its own, and the other never does', async () => {
    const t = 0;
    const store = new SharedSightings(() => t);
    const a = new MentionClaims(store, () => t);
    const b = new MentionClaims(store, () => t);
    expect(await a.claim('t1')).toBe(true);
    expect(await b.claim('t1')).toBe(false);
    // A write sent again after a failed upload (same replica) still carries the mention.
    expect(await a.claim('t1')).toBe(true);
    expect(await b.claim('t1')).toBe(false);
    expect(await b.claim('t2')).toBe(true);
    expect(store.asked.filter((k) => k === 'mention:t1')).toHaveLength(3);
  });

  it('GIVEN a claim older than MENTION_CLAIM_TTL_MS THEN the replica forgets it and asks the store again', async () => {
    let t = 0;
    const store = new SharedSightings(() => t);
    const a = new MentionClaims(store, () => t);
    expect(await a.claim('t1')).toBe(true);
    t = MENTION_CLAIM_TTL_MS;
    expect(await a.claim('t1')).toBe(true);
    expect(store.asked).toEqual(['mention:t1', 'mention:t1']);
  });
});
