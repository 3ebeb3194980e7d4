/**
 * Two Slack replicas on one Redis (child processes; commands reach either, as behind a load
 * balancer). The one that polls Kling is SIGKILLed at the moment its running tasks finish at Kling
 * (poll 500 ms, no callbacks): the survivor takes the lease over and all 12 cards show their video,
 * the first within 1.5 s of the kill and the last within 3 s (issue 16). Each task is paid once.
 * The scenario is test/helpers/takeover-rigs.ts, which `npm run bench -- --only takeover` also runs.
 */
import { slackTakeover } from './helpers/takeover-rigs.js';
import { takeoverTest } from './helpers/takeover-test.js';

takeoverTest({
  describe: 'Slack: two replicas, the polling one dies as its tasks finish',
  it: 'all 12 cards final, the first within 1.5 s of the SIGKILL and the last within 3 s (poll 500 ms)',
  label: 'slack takeover',
  db: 5,
  run: slackTakeover,
});
