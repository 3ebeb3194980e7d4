import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The Redis tests start Debian's redis-server on a private port. A machine without it (a fresh
 * clone with only Node and npm) skips them with one line saying what to install; .ci/run installs
 * it, so CI always runs them.
 */
export function redisServerOnPath(path = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

export const REDIS_MISSING =
  'SKIPPED: the Redis store tests need redis-server, which is not on PATH; install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) to run them.';

/** True when redis-server can be started; otherwise prints the skip line once and returns false. */
export function redisAvailable(): boolean {
  if (redisServerOnPath()) return true;
  process.stderr.write(`${REDIS_MISSING}\n`);
  return false;
}
