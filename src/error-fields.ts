/** A thrown value's message, for text that is not a log field (a refusal, a start-up line). */
export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** What a log line holds of an error (see `errorFields`). */
export interface ErrorFields {
  type: string;
  message: string;
  code?: string | number;
  stack?: string;
  cause?: ErrorFields | string;
}

/** How deep a chain of causes is followed (a cycle of causes stops here too). */
const MAX_CAUSES = 4;

/**
 * The `err` serializer of every logger (createLogger): the error's class, message, code, stack
 * and chain of causes. Nothing else of it: an axios or discord.js error also carries its request
 * (headers, body, URL), which must never reach a log. Anything thrown that is not an Error is
 * logged as its text.
 */
export function errorFields(err: unknown, depth = 0): ErrorFields | string {
  if (!(err instanceof Error)) return String(err);
  const code: unknown = (err as { code?: unknown }).code;
  return {
    type: err.name,
    message: err.message,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(err.stack ? { stack: err.stack } : {}),
    ...(err.cause !== undefined && depth < MAX_CAUSES ? { cause: errorFields(err.cause, depth + 1) } : {}),
  };
}
