import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A transfer's bytes pass through short-lived socket buffers (up to 64 KiB each) whose memory lies
 * outside V8's heap. V8 frees a dead buffer only when it collects its young generation, and it does
 * that when the generation fills with JavaScript objects, which a transfer makes few of: tens of MB
 * of dead buffers waited for it (bench/media-rss.ts: a 40 MB Slack transfer peaked 17 to 37 MB over
 * rest, a 100 MB one 32 to 38 MB: not the file, the wait). A minor collection every RECLAIM_BYTES
 * moved bounds that wait; it costs a millisecond or a few. The count starts again at every collection, V8's own
 * included: under load (a burst of results) V8 collects every few MB of JavaScript anyway, and a collection forced
 * on top of those freed nothing they would not have (about 50 of the bot's 150 scavenges in a burst's first 3 s).
 */
export const RECLAIM_BYTES = 4 * 1024 * 1024;

type Collect = () => void;

/**
 * V8's own collector, reached the documented way (`--expose-gc`) but set from inside the process
 * like the bot's other V8 flags (src/v8-flags.ts), so no command line has to carry it. The flag
 * gives new contexts a `gc` function; the bot's own global is left as it was. Undefined where the
 * runtime refuses (the transfer then just waits for V8).
 */
function minorCollector(): Collect | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    if (typeof gc !== 'function') return undefined;
    return () => (gc as (o: { type: 'minor' }) => void)({ type: 'minor' });
  } catch {
    return undefined;
  }
}

let collect: Collect | undefined | null = null;
let since = 0;
let watching = false;

/** Every collection, V8's or ours, frees the dead buffers so far: the count starts again (told a moment later). */
function watchCollections(): void {
  watching = true;
  try {
    new PerformanceObserver(() => {
      since = 0;
    }).observe({ entryTypes: ['gc'] });
  } catch {
    // No GC entries here: only our own collections restart the count.
  }
}

/** Counts bytes a transfer moved (all transfers together) since the last collection; at RECLAIM_BYTES, one. */
export function moved(bytes: number): void {
  if (!watching) watchCollections();
  since += bytes;
  if (since < RECLAIM_BYTES) return;
  since = 0;
  if (collect === null) collect = minorCollector();
  collect?.();
}
