/**
 * The Discord acknowledgement bench (bench/discord-ack.ts) in a process of its own, with the bot's V8 flags set first,
 * as `npm start` sets them (src/v8-flags.ts; as bench/burst-main.ts does for the burst bench): they decide how often
 * the bot collects garbage during a burst, so a bench without them measures another bot. `--json`: the result as one
 * line, which `npm run bench` reads. Standalone: `tsx bench/discord-ack-main.ts [n] [--json]`.
 */
import '../src/v8-flags.js';

const { benchDiscordAck } = await import('./discord-ack.js');
const arg = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 200);
const r = await benchDiscordAck(Number.isInteger(arg) && arg > 0 ? arg : 200);
process.stdout.write(
  process.argv.includes('--json')
    ? `${JSON.stringify(r)}\n`
    : `discord ack, ${r.n} in flight: p50 ${r.ackP50Ms} ms, p99 ${r.ackP99Ms} ms (target p99 < 100); first burst after log-in: p50 ${r.coldP50Ms} ms, p99 ${r.coldP99Ms} ms\n`,
);
process.exit(0);
