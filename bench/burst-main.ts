/**
 * The burst bench (bench/burst.ts) in a process of its own, with the bot's V8 flags set first, as `npm start` sets
 * them (src/v8-flags.ts: a young generation kept at its starting size, old space sized for memory): they decide how
 * often the bot collects garbage during a burst, so a bench without them measures another bot. `--json`: the result
 * as one line, which `npm run bench` reads; `--no-redis`: SQLite only.
 */
import '../src/v8-flags.js';

const { benchBurst, burstTable } = await import('./burst.js');
const result = await benchBurst({ redis: !process.argv.includes('--no-redis') });
process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(result)}\n` : `${burstTable(result)}\n`);
process.exit(0);
