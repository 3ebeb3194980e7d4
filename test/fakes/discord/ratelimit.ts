/** Fixed-window rate limit buckets, answered with Discord's headers. */
import { createHash } from 'node:crypto';
import type { JsonObject } from './json.js';

export interface Limit {
  requests: number;
  windowMs: number;
}

/**
 * Why a request got a 429: `forced` — the test injected it (`rateLimitChannel`); `limit` — the bucket's
 * window was full; `blocked` — it arrived while an earlier 429's Retry-After was still running. Only
 * `forced` is the fake's doing; the other two mean the client sent more than it had been told it may.
 */
export type LimitCause = 'forced' | 'limit' | 'blocked';

export type Decision =
  | { ok: true; headers: Record<string, string>; windowStart: number }
  | {
      ok: false;
      headers: Record<string, string>;
      body: JsonObject;
      retryAfterMs: number;
      cause: LimitCause;
      windowStart?: number;
    };

/**
 * A bucket with no limit configured still answers with Discord's headers (Discord always sends them),
 * from a window so roomy that no test reaches it.
 */
export const UNLIMITED: Limit = { requests: 1_000_000, windowMs: 1000 };

/** Opaque bucket hash for a bucket name, like the 32-hex-char hashes Discord sends. */
export function bucketHash(name: string): string {
  let hash = hashes.get(name);
  if (hash === undefined) {
    hash = createHash('sha256').update(`fake-discord:${name}`).digest('hex').slice(0, 32);
    hashes.set(name, hash);
  }
  return hash;
}
/** Bucket names are a fixed set (one per route), so their hashes are computed once. */
const hashes = new Map<string, string>();

function secs(ms: number): string {
  return (ms / 1000).toFixed(3);
}

export class RateLimiter {
  private readonly windows = new Map<string, { count: number; start: number; resetAt: number }>();
  private readonly blocks = new Map<string, { until: number }>();
  private readonly forced = new Map<string, { times: number; retryAfterMs: number }>();

  force(key: string, times: number, retryAfterMs: number): void {
    const prev = this.forced.get(key);
    if (prev && prev.times > 0) prev.times += times;
    else this.forced.set(key, { times, retryAfterMs });
    if (prev) prev.retryAfterMs = retryAfterMs;
  }

  /** Takes one request from the bucket `key` (null limit: unlimited, headers still sent). */
  take(key: string, hash: string, limit: Limit | null, now: number): Decision {
    const lim = limit ?? UNLIMITED;
    const block = this.blocks.get(key);
    if (block && now < block.until) return this.limited(hash, lim, block.until - now, now, 'blocked');
    const f = this.forced.get(key);
    if (f && f.times > 0) {
      f.times--;
      this.blocks.set(key, { until: now + f.retryAfterMs });
      return this.limited(hash, lim, f.retryAfterMs, now, 'forced');
    }
    const w = this.window(key, lim, now);
    if (w.count >= lim.requests)
      return { ...this.limited(hash, lim, w.resetAt - now, now, 'limit'), windowStart: w.start };
    w.count++;
    return { ok: true, headers: this.headers(hash, lim, lim.requests - w.count, w.resetAt, now), windowStart: w.start };
  }

  /** The headers the bucket would answer with now, without taking from it (for answers refused before the bucket). */
  peek(key: string, hash: string, limit: Limit | null, now: number): Record<string, string> {
    const lim = limit ?? UNLIMITED;
    const w = this.windows.get(key);
    if (!w || now >= w.resetAt) return this.headers(hash, lim, lim.requests, now + lim.windowMs, now);
    return this.headers(hash, lim, Math.max(0, lim.requests - w.count), w.resetAt, now);
  }

  private window(key: string, limit: Limit, now: number): { count: number; start: number; resetAt: number } {
    let w = this.windows.get(key);
    if (!w || now >= w.resetAt) {
      // Discord's windows start with the first request after the previous one reset.
      w = { count: 0, start: now, resetAt: now + limit.windowMs };
      this.windows.set(key, w);
    }
    return w;
  }

  private headers(hash: string, limit: Limit, remaining: number, resetAt: number, now: number): Record<string, string> {
    return {
      'X-RateLimit-Limit': String(limit.requests),
      'X-RateLimit-Remaining': String(remaining),
      'X-RateLimit-Reset': secs(resetAt),
      'X-RateLimit-Reset-After': secs(Math.max(0, resetAt - now)),
      'X-RateLimit-Bucket': hash,
    };
  }

  private limited(hash: string, limit: Limit, retryAfterMs: number, now: number, cause: LimitCause): Decision {
    const ms = Math.max(1, Math.ceil(retryAfterMs));
    return {
      ok: false,
      retryAfterMs: ms,
      cause,
      headers: {
        'Retry-After': String(Math.ceil(ms / 1000)),
        ...this.headers(hash, limit, 0, now + ms, now),
        'X-RateLimit-Scope': 'user',
      },
      body: { message: 'You are being rate limited.', retry_after: Number(secs(ms)), global: false },
    };
  }
}
