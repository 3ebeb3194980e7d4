import { DiscordAPIError, RateLimitError, RESTJSONErrorCodes } from 'discord.js';
import { CardGoneError, PortRateLimitError, type RateInfo } from '../../port.js';
import { rateOfError, withRate } from './rest.js';

// Discord's JSON error codes: https://discord.com/developers/docs/topics/opcodes-and-status-codes#json
export const TOKEN_DEAD = new Set<number | string>([
  RESTJSONErrorCodes.InvalidWebhookToken,
  RESTJSONErrorCodes.UnknownWebhook,
]);
const GONE = new Set<number | string>([RESTJSONErrorCodes.UnknownMessage, RESTJSONErrorCodes.UnknownChannel]);
/** The bot may not edit (or see) the message: post a reply instead. */
export const NO_ACCESS = new Set<number | string>([
  RESTJSONErrorCodes.MissingAccess,
  RESTJSONErrorCodes.MissingPermissions,
  RESTJSONErrorCodes.CannotEditMessageAuthoredByAnotherUser,
]);
export const codeOf = (err: unknown) => (err instanceof DiscordAPIError ? err.code : undefined);

/**
 * A 429 (or a bucket discord.js knows is empty): wait exactly what Discord said. `timeToReset`
 * comes from the answer's precise `X-RateLimit-Reset-After`, of which `Retry-After` is the
 * whole-second round-up; when they disagree by more than that rounding (another scope is
 * limited), or there is no reset, `Retry-After` decides. The bot's global limit (50 a second for
 * every route) is no channel's budget: the channel only waits it out, its own window untouched.
 */
function rateLimitOf(err: unknown): PortRateLimitError | undefined {
  if (!(err instanceof RateLimitError)) return undefined;
  const precise = err.timeToReset > 0 && err.retryAfter - err.timeToReset < 1000;
  const wait = precise ? err.timeToReset : Math.max(err.retryAfter, err.timeToReset);
  if (err.global) return new PortRateLimitError(Math.max(1, Math.ceil(wait)), { cause: err });
  const reported = rateOfError(err);
  const rate: RateInfo = {
    ...reported,
    remaining: 0,
    resetAfterMs: wait,
    ...(Number.isFinite(err.limit) ? { limit: err.limit } : {}),
  };
  return new PortRateLimitError(Math.max(1, Math.ceil(wait)), { cause: err, rate });
}

/** One REST write, its 429 and gone answers turned into the port's errors. */
export async function portWrite<T>(call: () => Promise<T>): Promise<{ value: T; rate?: RateInfo }> {
  try {
    return await withRate(call);
  } catch (err) {
    const limited = rateLimitOf(err);
    if (limited) throw limited;
    if (GONE.has(codeOf(err) ?? '')) throw new CardGoneError('the Discord card message is gone', { cause: err });
    throw err;
  }
}
