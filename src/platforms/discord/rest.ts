import { AsyncLocalStorage } from 'node:async_hooks';
import { STATUS_CODES } from 'node:http';
import { DefaultRestOptions, REST, type ResponseLike } from 'discord.js';
import { Agent, Headers, request } from 'undici';
import type { RateInfo } from '../../port.js';
import { MultipartBody } from './multipart.js';

/** The budget Discord reported on one answer (https://discord.com/developers/docs/topics/rate-limits). */
export function rateOf(headers: Pick<Headers, 'get'>): RateInfo | undefined {
  const remaining = headers.get('x-ratelimit-remaining');
  const resetAfter = headers.get('x-ratelimit-reset-after');
  const limit = headers.get('x-ratelimit-limit');
  const bucket = headers.get('x-ratelimit-bucket');
  const rate: RateInfo = {
    ...(remaining !== null && Number.isFinite(Number(remaining)) ? { remaining: Number(remaining) } : {}),
    ...(resetAfter !== null && Number.isFinite(Number(resetAfter))
      ? { resetAfterMs: Math.ceil(Number(resetAfter) * 1000) }
      : {}),
    ...(limit !== null && Number.isFinite(Number(limit)) ? { limit: Number(limit) } : {}),
    ...(bucket ? { bucket } : {}),
  };
  return rate.remaining === undefined ? (bucket ? { bucket } : undefined) : rate;
}

/** Where the answer to the write running in this async context leaves its rate information. */
const answers = new AsyncLocalStorage<{ rate?: RateInfo }>();

/**
 * Runs one REST write and returns its result with the budget Discord reported on the answer
 * (a 429 included: `rate` is then set before the RateLimitError reaches the caller).
 */
export async function withRate<T>(write: () => Promise<T>): Promise<{ value: T; rate?: RateInfo }> {
  const slot: { rate?: RateInfo } = {};
  try {
    const value = await answers.run(slot, write);
    return slot.rate ? { value, rate: slot.rate } : { value };
  } catch (err) {
    if (slot.rate && typeof err === 'object' && err !== null) errorRates.set(err, slot.rate);
    throw err;
  }
}

const errorRates = new WeakMap<object, RateInfo>();

/** What Discord reported on the answer that became `err` (a 429's remaining and reset). */
export const rateOfError = (err: unknown): RateInfo | undefined =>
  typeof err === 'object' && err !== null ? errorRates.get(err) : undefined;

/** Our own dispatcher for uploads (not Node's global one, see src/media/download.ts). */
const uploads = new Agent();
/** The whole upload, body and answer (the file's own clocks stop a stalled download sooner). */
const UPLOAD_MS = 120_000;
/** How long Discord may take to answer once the body is sent. */
const ANSWER_MS = 30_000;

/**
 * Sends a write whose body is a streamed multipart (see MultipartBody) and answers discord.js the way
 * its own undici strategy does, so its rate-limit and error handling see the usual response. Not
 * discord.js's resolveBody, which gathers a stream into one Buffer; and not its 15 s request clock,
 * which a file read from Kling as it is sent could outlast.
 */
async function sendMultipart(
  url: string,
  init: Parameters<typeof DefaultRestOptions.makeRequest>[1],
  body: MultipartBody,
) {
  const res = await request(url, {
    method: init.method as 'PATCH' | 'POST',
    headers: init.headers as Record<string, string>,
    body: body.stream(),
    signal: AbortSignal.timeout(UPLOAD_MS),
    headersTimeout: ANSWER_MS,
    bodyTimeout: ANSWER_MS,
    dispatcher: uploads,
  });
  const answer: ResponseLike = {
    body: res.body,
    arrayBuffer: () => res.body.arrayBuffer(),
    json: () => res.body.json(),
    text: () => res.body.text(),
    get bodyUsed() {
      return res.body.bodyUsed;
    },
    headers: new Headers(res.headers as Record<string, string>),
    status: res.statusCode,
    statusText: STATUS_CODES[res.statusCode] ?? '',
    ok: res.statusCode >= 200 && res.statusCode < 300,
  };
  return answer;
}

/**
 * The REST client for every message write. A channel's 429 (or a bucket it knows is empty) is thrown
 * at once (`rejectOnRateLimit`), 5xx and timeouts are not retried, and no offset is added to Discord's
 * numbers: the channel's outbox decides when to try again. The one exception is the bot-wide limit,
 * which no channel's window says anything of: discord.js waits it out, and after a global 429 (a write
 * Discord did not apply) sends that write again itself. Each answer's rate headers are handed to
 * `withRate`. A write with files streams its
 * multipart body (MultipartBody) instead of discord.js's in-memory FormData. Each request first
 * waits for `quiet` (the core's burst gate: a burst of interactions answered, bounded).
 */
export function messageRest(apiUrl: string | undefined, token: string, quiet?: () => Promise<void>): REST {
  return new REST({
    ...(apiUrl ? { api: apiUrl } : {}),
    // A channel's own bucket is the outbox's to pace; the bot-wide limit (50 a second) is waited out here, in
    // one queue for every channel, since it says nothing of any channel's window.
    rejectOnRateLimit: (limited) => !limited.global,
    retries: 0,
    offset: 0,
    // A rate-limit queue per card webhook (interaction token) builds up with every task; dropped when
    // idle for a minute instead of discord.js's hour (a dropped one is made again on demand).
    handlerSweepInterval: 60_000,
    async makeRequest(url, init): Promise<ResponseLike> {
      await quiet?.();
      const res =
        init.body instanceof MultipartBody
          ? await sendMultipart(url, init, init.body)
          : await DefaultRestOptions.makeRequest(url, init);
      const slot = answers.getStore();
      if (slot) {
        const rate = rateOf(res.headers);
        if (rate) slot.rate = rate;
        else delete slot.rate;
      }
      return res;
    },
  }).setToken(token);
}
