import { pino, type Logger, type DestinationStream } from 'pino';
import { errorFields } from './error-fields.js';

export type { Logger };

/** Field paths that may hold credentials in anything we log (axios errors, payloads, headers). */
const REDACT_PATHS = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  'config.headers',
  '*.config.headers',
  'err.config',
  'secret',
  '*.secret',
  // Discord interaction payloads carry their own reply token.
  'interaction.token',
  '*.interaction.token',
  // A Slack response_url lets anyone holding it answer in the channel for 30 minutes.
  'response_url',
  '*.response_url',
  '*.*.response_url',
  'responseUrl',
  '*.responseUrl',
  '*.*.responseUrl',
];

/**
 * Secrets that are not configured but minted per request, recognised by where they sit: a
 * Discord interaction token in a callback or webhook path (discord.js puts the URL in its
 * errors), the token segment of our callback URL, and the password of any URL with credentials.
 */
const TOKEN_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/(\/interactions\/\d+\/)[^/?\s"\\]+/g, '$1[redacted]'],
  [/(\/webhooks\/\d+\/)[^/?\s"\\]+/g, '$1[redacted]'],
  [/(\/kling\/callback\/)[^/?\s"\\]+/g, '$1[redacted]'],
  // Slack response_url (hooks.slack.com/commands|actions/T…/…/secret), wherever it is written.
  [/(hooks\.slack\.com\/(?:commands|actions|app)\/)[^?\s"\\]+/g, '$1[redacted]'],
  [/\b([a-z][a-z0-9+.-]*:\/\/[^/:@\s"\\]*:)[^/@\s"\\]+@/gi, '$1[redacted]@'],
];

/** Replaces every configured secret value and every per-request token (see TOKEN_PATTERNS) in one line of text. */
export function scrubText(line: string, secrets: readonly string[]): string {
  let clean = line;
  for (const value of secrets)
    if (value.length >= 6 && clean.includes(value)) clean = clean.split(value).join('[redacted]');
  for (const [pattern, replacement] of TOKEN_PATTERNS) clean = clean.replace(pattern, replacement);
  return clean;
}

/**
 * Writes log lines after replacing every configured secret value, so a key that slips into
 * an error message or a URL still never reaches the output.
 */
export function scrubbingStream(
  secrets: readonly string[],
  out: { write(line: string): unknown } = process.stdout,
): DestinationStream {
  const values = secrets.filter((s) => s.length >= 6);
  return {
    write(line: string) {
      out.write(scrubText(line, values));
    },
  };
}

export function createLogger(options: {
  level: string;
  secrets: readonly string[];
  out?: { write(line: string): unknown };
}): Logger {
  return pino(
    {
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { app: 'kling-bot' },
      // `{ err }` in any line: class, message, code, stack and causes, never the error's request.
      serializers: { err: errorFields },
    },
    scrubbingStream(options.secrets, options.out),
  );
}

/** For tests and library use where nothing should print. */
export const silentLogger: Logger = pino({ level: 'silent', serializers: { err: errorFields } });
