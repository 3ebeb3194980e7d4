/** Fixed-window rate limit buckets, answered with Discord's headers. */
import { createHash } from 'node:crypto';
import type { JsonObject } from './json.js';

export interface Limit {
  requests: number;
  windowMs: number;
}

export type Decision =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; headers: Record<string, string>; body: JsonObject; retryAfterMs: number; forced: boolean };

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
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly blocks = new Map<string, { until: number; forced: boolean }>();
  private readonly forced = new Map<string, { times: number; retryAfterMs: number }>();

  force(key: string, times: number, retryAfterMs: number): void {
    const prev = this.forced.get(key);
    if (prev && prev.times > 0) prev.times += times;
    else this.forced.set(key, { times, retryAfterMs });
    if (prev) prev.retryAfterMs = retryAfterMs;
  }

  take(key: string, hash: string, limit: Limit | null, now: number): Decision {
    const enabled = limit !== null && Number.isFinite(limit.requests);
    const block = this.blocks.get(key);
    if (block && now < block.until) {
      return this.limited(hash, limit, block.until - now, now, block.forced);
    }
    const f = this.forced.get(key);
    if (f && f.times > 0) {
      f.times--;
      this.blocks.set(key, { until: now + f.retryAfterMs, forced: true });
      return this.limited(hash, limit, f.retryAfterMs, now, true);
    }
    if (!enabled || limit === null) return { ok: true, headers: { 'X-RateLimit-Bucket': hash } };
    let w = this.windows.get(key);
    if (!w || now >= w.resetAt) {
      w = { count: 0, resetAt: now + limit.windowMs };
      this.windows.set(key, w);
    }
    if (w.count >= limit.requests) return this.limited(hash, limit, w.resetAt - now, now, false);
    w.count++;
    return {
      ok: true,
      headers: {
        'X-RateLimit-Limit': String(limit.requests),
        'X-RateLimit-Remaining': String(limit.requests - w.count),
        'X-RateLimit-Reset': secs(w.resetAt),
        'X-RateLimit-Reset-After': secs(w.resetAt - now),
        'X-RateLimit-Bucket': hash,
      },
    };
  }

  private limited(hash: string, limit: Limit | null, retryAfterMs: number, now: number, forced: boolean): Decision {
    const ms = Math.max(1, Math.ceil(retryAfterMs));
    return {
      ok: false,
      retryAfterMs: ms,
      forced,
      headers: {
        'Retry-After': String(Math.ceil(ms / 1000)),
        'X-RateLimit-Limit': String(limit !== null && Number.isFinite(limit.requests) ? limit.requests : 1),
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': secs(now + ms),
        'X-RateLimit-Reset-After': secs(ms),
        'X-RateLimit-Bucket': hash,
        'X-RateLimit-Scope': 'user',
      },
      body: { message: 'You are being rate limited.', retry_after: Number(secs(ms)), global: false },
    };
  }
}
