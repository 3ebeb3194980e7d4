/**
 * Two Discord replicas on one Redis (child processes, both on the gateway). The one that polls
 * Kling is SIGKILLed at the moment its running tasks finish at Kling (poll 500 ms, no callbacks):
 * the survivor takes the lease over and every card shows its video, the first within 1.5 s of the
 * kill and the last within 3 s (issue 16). Each task is still paid for once. The scenario is
 * test/helpers/takeover-rigs.ts, which `npm run bench -- --only takeover` also runs.
 */
import { discordTakeover } from './helpers/takeover-rigs.js';
import { takeoverTest } from './helpers/takeover-test.js';

takeoverTest({
  describe: 'Discord: two replicas, the polling one dies as its tasks finish',
  it: 'every card final, the first within 1.5 s of the SIGKILL and the last within 3 s (poll 500 ms)',
  label: 'discord takeover',
  db: 4,
  run: discordTakeover,
});
