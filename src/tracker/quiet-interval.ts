/**
 * Calls `tick` every `periodMs`, each time once a burst of interactions is answered (`quiet`: the
 * core's burst gate, bounded): a poll of hundreds of tasks landing in a burst took the event loop
 * from its answers (bench/burst.ts). A tick that waits for quiet is not queued again meanwhile.
 */
export function quietInterval(periodMs: number, quiet: () => Promise<void>, tick: () => void): NodeJS.Timeout {
  let waiting = false;
  const timer = setInterval(() => {
    if (waiting) return;
    waiting = true;
    void quiet().then(() => {
      waiting = false;
      tick();
    });
  }, periodMs);
  timer.unref?.();
  return timer;
}
