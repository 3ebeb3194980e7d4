/**
 * Questions tests ask of the fake's request log about channel message writes: did the bot ever get a
 * 429 it caused, and did it ever try more writes in a channel window than the window allows?
 */
import type { ChannelWrite, FakeDiscord, RateLimitRecord, RequestRecord } from './types.js';

export type ChannelWriteRecord = RequestRecord & { channelWrite: ChannelWrite };

/** Requests that reached a channel's message bucket (accepted or 429), in arrival order; one channel or all. */
export function channelWrites(fake: Pick<FakeDiscord, 'requests'>, channelId?: string): ChannelWriteRecord[] {
  return fake.requests.filter(
    (r): r is ChannelWriteRecord =>
      r.channelWrite !== undefined && (channelId === undefined || r.channelWrite.channelId === channelId),
  );
}

/** 429s the bot caused (not injected by the test), on any route; a 429 a library waited out is still here. */
export function unforced429s(fake: Pick<FakeDiscord, 'rateLimits'>): RateLimitRecord[] {
  return fake.rateLimits.filter((r) => !r.forced);
}

/**
 * The most write attempts the bot made in one window of a channel's bucket, counted the way Discord
 * counts them (the window opens with the first write after a reset). Forced 429s are left out: they
 * are the test's doing. With a limit of W, anything above W means the bot sent what it had been told
 * would be refused.
 */
export function maxAttemptsPerWindow(fake: Pick<FakeDiscord, 'requests'>, channelId: string): number {
  const perWindow = new Map<number, number>();
  for (const r of channelWrites(fake, channelId)) {
    if (r.channelWrite.limited === 'forced' || r.channelWrite.windowStart === undefined) continue;
    perWindow.set(r.channelWrite.windowStart, (perWindow.get(r.channelWrite.windowStart) ?? 0) + 1);
  }
  return Math.max(0, ...perWindow.values());
}

/**
 * Most accepted writes in any sliding window of `windowMs` in a channel (a figure for the bench, not a Discord rule).
 */
export function maxAcceptedInSlidingWindow(
  fake: Pick<FakeDiscord, 'requests'>,
  channelId: string,
  windowMs: number,
): number {
  const times = channelWrites(fake, channelId)
    .filter((r) => r.status !== 429)
    .map((r) => r.at);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while ((times[hi] ?? 0) - (times[lo] ?? 0) >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** Most 429s (of any cause but forced) in one channel in any sliding minute. */
export function max429sPerMinute(fake: Pick<FakeDiscord, 'requests'>, channelId: string): number {
  const times = channelWrites(fake, channelId)
    .filter((r) => r.channelWrite.limited === 'unforced')
    .map((r) => r.at);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while ((times[hi] ?? 0) - (times[lo] ?? 0) >= 60_000) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
