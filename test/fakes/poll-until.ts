import { performance } from 'node:perf_hooks';

/**
 * The longest gap between two polls that counts in full. A longer gap means this process was not running
 * (a test run is stopped with SIGSTOP while another checkout lands or takes quiet figures), so it counts as
 * this much: a stop of minutes must not spend a wait's bound. A starved but running process still polls well
 * within it, so load is counted in full.
 */
const MAX_COUNTED_GAP_MS = 1000;

/**
 * Polls `check` every `everyMs` until it returns something other than undefined, null or false, and returns
 * that; throws `timedOut()` once `timeoutMs` of running time have passed (see MAX_COUNTED_GAP_MS).
 */
export async function pollUntil<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs: number,
  timedOut: () => Error,
  everyMs = 10,
): Promise<T> {
  let spent = 0;
  let last = performance.now();
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== null && v !== false) return v;
    const now = performance.now();
    spent += Math.min(now - last, MAX_COUNTED_GAP_MS);
    last = now;
    if (spent > timeoutMs) throw timedOut();
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
