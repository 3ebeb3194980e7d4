import { pino, type Logger, type DestinationStream } from 'pino';

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
];

/**
 * Writes log lines after replacing every configured secret value, so a key that slips into
 * an error message or a URL still never reaches the output.
 */
export function scrubbingStream(secrets: readonly string[], out: { write(line: string): unknown } = process.stdout): DestinationStream {
  const values = secrets.filter((s) => s.length >= 6);
  return {
    write(line: string) {
      let clean = line;
      for (const value of values) if (clean.includes(value)) clean = clean.split(value).join('[redacted]');
      out.write(clean);
    },
  };
}

export function createLogger(options: { level: string; secrets: readonly string[]; out?: { write(line: string): unknown } }): Logger {
  return pino(
    { level: options.level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { app: 'kling-bot' } },
    scrubbingStream(options.secrets, options.out),
  );
}

/** For tests and library use where nothing should print. */
export const silentLogger: Logger = pino({ level: 'silent' });
