import { setFlagsFromString } from 'node:v8';

/**
 * The V8 flags this long-running bot sets for itself, from inside the process, so `npm start`, the
 * Docker CMD and a bare `node dist/main.js` all behave the same, with no command-line flags.
 * main.ts imports this first, so it runs before anything else allocates or compiles.
 */

/**
 * How V8 sizes the heap. A product choice: this bot handles a few requests a second and keeps
 * thousands of small task records, so memory matters more than the last bit of GC throughput.
 * - `--semi-space-growth-factor=1`: V8 grows the young generation (where every request, log line
 *   and JSON parse is allocated) while discord.js and Bolt load, to 32 MB on Node 20 and 64 MB on
 *   Node 26, and keeps it; this keeps it at its starting size, for more but shorter scavenges.
 * - `--optimize-for-size`: old space grows by a smaller factor past the live set between full
 *   collections, where V8 otherwise lets it reach two to four times the live set under load.
 * Both are read by V8 while it runs (unlike `--max-semi-space-size` or `--max-old-space-size`,
 * which only count at start). The runtime bench prints what they cost in CPU (README, "Tests and
 * benchmark"): with 10,000 tasks in flight they halve the RSS for about 1.8 times the CPU.
 */
export const HEAP_FLAGS = ['--semi-space-growth-factor=1', '--optimize-for-size'] as const;

/**
 * undici (under discord.js's REST and Bolt's Socket Mode client) parses HTTP with llhttp compiled
 * to WebAssembly. V8 first compiles it with Liftoff, then recompiles the hot parser with TurboFan
 * on a worker thread, whose compiler zones peak at ~30 MB; glibc keeps about 9 MB of that in the
 * worker's arena for good, in about half of all starts (heaptrack: Zone::Expand under
 * ExecuteTurbofanWasmCompilation). Liftoff's code parses the bot's few responses a second as well.
 * Node 20 and 22 honour this flag when set here; Node 24 and later read it only on the command line.
 */
export const WASM_FLAGS = ['--liftoff-only'] as const;

for (const flag of [...HEAP_FLAGS, ...WASM_FLAGS]) setFlagsFromString(flag);
