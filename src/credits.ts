import type { KlingAuth } from './config.js';
import { KlingError } from './kling/errors.js';
import type { Pack } from './kling/schemas.js';

/** Kling asks for at most one query a second; one a minute is plenty for a balance that lags ~12 h. */
export const CREDITS_CACHE_MS = 60_000;
/** `start_time`/`end_time` are required: the packs of the last year (a pack lasts up to a year). */
const LOOKBACK_MS = 366 * 86_400_000;

export type CreditsAnswer = { kind: 'packs'; packs: Pack[]; fetchedAt: number } | { kind: 'gateway' };

/**
 * The account's resource packs for /credits, cached for a minute and fetched by one call at a
 * time (callers in the same minute share it). With an API key alone Kling is asked too: whether
 * `/account/costs` takes a key is not documented, so a refusal says in plain words which
 * credential it wants (KlingError), and a 404 means a gateway without the endpoint (said once,
 * then remembered).
 */
export class CreditsService {
  private cached?: { packs: Pack[]; fetchedAt: number };
  private inflight?: Promise<{ packs: Pack[]; fetchedAt: number }>;
  private gateway = false;

  constructor(
    private readonly deps: {
      auth: KlingAuth;
      fetch: (startMs: number, endMs: number) => Promise<Pack[]>;
      now: () => number;
    },
  ) {}

  async get(): Promise<CreditsAnswer> {
    if (this.gateway) return { kind: 'gateway' };
    const now = this.deps.now();
    if (this.cached && now - this.cached.fetchedAt < CREDITS_CACHE_MS) return { kind: 'packs', ...this.cached };
    this.inflight ??= this.deps
      .fetch(now - LOOKBACK_MS, now)
      .then((packs) => (this.cached = { packs, fetchedAt: now }))
      .finally(() => (this.inflight = undefined));
    try {
      return { kind: 'packs', ...(await this.inflight) };
    } catch (err) {
      const noEndpoint = err instanceof KlingError && err.kind === 'not_found' && err.details.httpStatus === 404;
      if (!noEndpoint || this.deps.auth.type !== 'bearer') throw err;
      this.gateway = true;
      return { kind: 'gateway' };
    }
  }
}
