import type { Logger as BoltLogger } from '@slack/bolt';
import { LogLevel } from '@slack/bolt/dist/App.js';
import type { Logger } from '../../log.js';

const text = (parts: readonly unknown[]): string =>
  parts
    .map((p) => {
      if (p instanceof Error) return `${p.name}: ${p.message}`;
      if (typeof p === 'string') return p;
      try {
        return JSON.stringify(p);
      } catch {
        return String(p);
      }
    })
    .join(' ');

/**
 * Bolt's and WebClient's logger interface on top of our pino logger, so their lines go through the
 * same secret-scrubbing stream instead of straight to the console. Pino's level decides what
 * is written; Bolt's own setLevel is only remembered (Bolt calls it with its default, INFO).
 */
export function boltLogger(log: Logger, name = 'bolt'): BoltLogger {
  let level: LogLevel = LogLevel.INFO;
  let child = log.child({ lib: name });
  return {
    debug: (...msg: unknown[]) => child.debug(text(msg)),
    info: (...msg: unknown[]) => child.info(text(msg)),
    warn: (...msg: unknown[]) => child.warn(text(msg)),
    error: (...msg: unknown[]) => child.error(text(msg)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: (n: string) => {
      child = log.child({ lib: n });
    },
  };
}
