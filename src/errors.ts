import { messageOf } from './error-fields.js';

/**
 * Expected failures are values with stable codes. `userMessage` is the only text a user
 * ever sees; `message` is for logs and must never carry a secret.
 */
export class BotError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly userMessage: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command input: names the field and the rule. Nothing is sent to Kling. */
export class ValidationError extends BotError {
  constructor(
    readonly field: string,
    rule: string,
  ) {
    super('invalid_input', `invalid ${field}: ${rule}`, `**${field}**: ${rule}`);
  }
}

/** A permission or limit refusal; `resetsAt` tells the user when to try again. */
export class RefusedError extends BotError {
  constructor(
    code: string,
    userMessage: string,
    readonly resetsAt?: number,
  ) {
    super(code, userMessage, userMessage);
  }
}

export class NotFoundError extends BotError {
  constructor(what: string) {
    super('not_found', `${what} not found`, `${what} was not found in this server.`);
  }
}

/**
 * The store failed (down, refused a write, timed out). Nothing that depended on it was done: a
 * command whose record could not be written never reaches Kling.
 */
export class StoreError extends BotError {
  constructor(
    readonly operation: string,
    cause: unknown,
  ) {
    super(
      'store_unavailable',
      `the store could not ${operation}: ${messageOf(cause)}`,
      'The bot could not reach its storage just now, so it did nothing: no task was sent to Kling and nothing was charged. Please try again in a minute.',
      { cause },
    );
  }
}

/**
 * The platform takes no answer for this interaction: another process running the bot answered
 * it first, or it expired. Nothing can reach the user through it, so nothing more is tried.
 */
export class InteractionClosedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InteractionClosedError';
  }
}

/** Turns anything thrown into a sentence safe to show a user. */
export function userMessageOf(err: unknown): string {
  if (err instanceof BotError) return err.userMessage;
  return 'Something went wrong on our side. The team has been told; please try again.';
}
