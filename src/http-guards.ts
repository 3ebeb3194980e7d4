import { createHash, timingSafeEqual } from 'node:crypto';

/** Small pieces of the HTTP server's defences, pure so they can be tested alone. */

/** Compares two secrets in time that does not depend on where they differ (or on their lengths). */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected)) && given.length === expected.length;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * /metrics: with METRICS_TOKEN, only `Authorization: Bearer <token>`; without one, only callers
 * on this machine (a scraper on loopback or in the same network namespace) — unless the bot is
 * reachable from outside (`exposed`: PUBLIC_URL set, or Slack over HTTP): the reverse proxy or
 * tunnel in front of it connects from loopback too, so loopback proves nothing there and
 * /metrics is 'hidden' (404) until a token is set.
 */
export function metricsAccess(
  remoteAddress: string | undefined,
  authorization: string | undefined,
  token: string | undefined,
  exposed = false,
): 'allowed' | 'denied' | 'hidden' {
  if (token) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    return m?.[1] && sameSecret(m[1], token) ? 'allowed' : 'denied';
  }
  if (exposed) return 'hidden';
  return remoteAddress !== undefined && LOOPBACK.has(remoteAddress) ? 'allowed' : 'denied';
}

/** The old yes/no form of `metricsAccess` (loopback trusted). */
export const metricsAllowed = (
  remoteAddress: string | undefined,
  authorization: string | undefined,
  token: string | undefined,
  exposed = false,
): boolean => metricsAccess(remoteAddress, authorization, token, exposed) === 'allowed';

/**
 * At most one hint per task per window: the first goes through at once, later ones inside the
 * window become one trailing hint at its end, so a flood of callbacks costs two Kling GETs, not
 * one each, while a real state change is still seen within the window. Bounded in memory.
 */
export class HintDebouncer {
  private readonly windows = new Map<string, { endsAt: number; timer?: NodeJS.Timeout }>();

  constructor(
    private readonly fire: (key: string) => void,
    private readonly windowMs = 1000,
    private readonly maxKeys = 10_000,
  ) {}

  hint(key: string): void {
    const open = this.windows.get(key);
    if (open) {
      // At the window's end, not a window after this hint: a change is seen within one window.
      open.timer ??= this.trailing(key, open.endsAt - Date.now());
      return;
    }
    if (this.windows.size >= this.maxKeys) {
      // Oldest window first (Map keeps insertion order); its pending hint fires now rather than never.
      const [oldest] = this.windows.keys();
      if (oldest !== undefined) this.close(oldest, true);
    }
    this.fire(key);
    const entry: { endsAt: number; timer?: NodeJS.Timeout } = { endsAt: Date.now() + this.windowMs };
    this.windows.set(key, entry);
    const end = setTimeout(() => {
      if (this.windows.get(key) === entry && !entry.timer) this.windows.delete(key);
    }, this.windowMs);
    end.unref();
  }

  private trailing(key: string, delayMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.close(key, true), Math.max(0, delayMs));
    timer.unref();
    return timer;
  }

  private close(key: string, fire: boolean): void {
    const entry = this.windows.get(key);
    this.windows.delete(key);
    if (entry?.timer) {
      clearTimeout(entry.timer);
      if (fire) this.fire(key);
    }
  }

  /** Drops every pending hint (shutdown). */
  clear(): void {
    for (const entry of this.windows.values()) if (entry.timer) clearTimeout(entry.timer);
    this.windows.clear();
  }
}
