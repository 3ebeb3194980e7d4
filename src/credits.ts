import type { KlingAuth } from './config.js';
import type { Pack } from './kling/schemas.js';

/** Kling asks for at most one query a second; one a minute is plenty for a balance that lags ~12 h. */
export const CREDITS_CACHE_MS = 60_000;
/** `start_time`/`end_time` are required: the packs of the last year (a pack lasts up to a year). */
const LOOKBACK_MS = 366 * 86_400_000;

export type CreditsAnswer = { kind: 'packs'; packs: Pack[]; fetchedAt: number } | { kind: 'gateway' };

/**
 * The account's resource packs for /credits, cached for a minute and fetched by one call at a
 * time (callers in the same minute share it). A gateway key has no account endpoint: it says so.
 */
export class CreditsService {
  private cached?: { packs: Pack[]; fetchedAt: number };
  private inflight?: Promise<{ packs: Pack[]; fetchedAt: number }>;

  constructor(
    private readonly deps: {
      auth: KlingAuth;
      fetch: (startMs: number, endMs: number) => Promise<Pack[]>;
      now: () => number;
    },
  ) {}

  async get(): Promise<CreditsAnswer> {
    if (this.deps.auth.type === 'bearer') return { kind: 'gateway' };
    const now = this.deps.now();
    if (this.cached && now - this.cached.fetchedAt < CREDITS_CACHE_MS) return { kind: 'packs', ...this.cached };
    this.inflight ??= this.deps
      .fetch(now - LOOKBACK_MS, now)
      .then((packs) => (this.cached = { packs, fetchedAt: now }))
      .finally(() => (this.inflight = undefined));
    return { kind: 'packs', ...(await this.inflight) };
  }
}
