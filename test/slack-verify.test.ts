/**
 * Slack requests that must do nothing (README, Slack; issue 9 finding 8): a replay of a signed request
 * within its 5-minute window, a timestamp from the future, a body changed after signing, and a
 * body too large to be a command. The real Bolt app runs behind the bot's own HTTP server.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import { signSlackRequest, type FakeSlack } from './fakes/slack/index.js';
import { SECRETS, slackRigPerTest, type InProcessBot } from './helpers/slack-harness.js';
import { pageOf } from '../src/store/paging.js';

const T1 = 'T0ACME';
const C1 = 'C0GENERAL';
const U1 = 'U0ALICE';

let sim: KlingSimulator;
let fake: FakeSlack;
let bot: InProcessBot;
const rig = slackRigPerTest([{ id: T1, domain: 'acme', channels: [C1] }]);

async function setup() {
  ({ sim, fake, bot } = await rig());
}

/** A command from Alice in #general, signed as Slack signs it (`more`: a skewed clock, say). */
const send = (command: string, text: string, more: { timestampOffsetSec?: number } = {}) =>
  fake.sendCommand({ teamId: T1, channelId: C1, userId: U1, command, text, ...more });

/** Posts a raw body to /slack/events, optionally without a content-length (chunked), and reports the status. */
function post(body: Buffer, headers: Record<string, string>, chunked = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: bot.port,
        path: '/slack/events',
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(chunked ? {} : { 'content-length': String(body.length) }),
          ...headers,
        },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    // The server may answer 413 and close before it has read everything: that is the point.
    req.on('error', (err) =>
      err.message.includes('EPIPE') || err.message.includes('ECONNRESET') ? undefined : reject(err),
    );
    if (chunked) {
      for (let i = 0; i < body.length; i += 16 * 1024) req.write(body.subarray(i, i + 16 * 1024));
      req.end();
    } else req.end(body);
  });
}

describe('Slack request verification', () => {
  it('GIVEN a signed /video sent twice (a replay within the window) THEN the second gets 401 and only one task exists', async () => {
    await setup();
    const first = await send('/video', 'a cat surfing');
    expect(first.status).toBe(200);
    expect((await fake.resendLast()).status).toBe(401);
    await fake.waitFor(() => sim.stats.creates >= 1, 5000);
    expect(sim.stats.creates).toBe(1);
    expect(
      (await pageOf(bot.core.store, { platform: 'slack', guildId: T1, channelId: C1, page: 1, pageSize: 5 })).total,
    ).toBe(1);
  });

  it('GIVEN a timestamp 6 minutes in the future, or a body changed after signing THEN 401 and nothing runs', async () => {
    await setup();
    const future = await send('/video', 'from the future', { timestampOffsetSec: 360 });
    const near = await send('/quota', '', { timestampOffsetSec: 60 });
    const tampered = await fake.resendLast((raw) =>
      raw.replace('command=%2Fquota', 'command=%2Fvideo&text=paid+for+by+someone+else'),
    );
    expect([future.status, tampered.status]).toEqual([401, 401]);
    // A clock a minute ahead is inside the window.
    expect(near.status).toBe(200);
    await fake.waitFor(() => fake.ephemerals.length >= 1, 5000);
    expect(sim.calls).toHaveLength(0);
    expect(fake.messages).toHaveLength(0);
  });

  it('GIVEN a body over 64 KiB, declared or streamed THEN 413 before it is read, and nothing runs', async () => {
    await setup();
    const ts = Math.floor(Date.now() / 1000);
    const big = Buffer.from(
      `team_id=${T1}&channel_id=${C1}&user_id=${U1}&command=%2Fvideo&text=${'a'.repeat(70 * 1024)}`,
    );
    const headers = {
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': signSlackRequest(SECRETS.signingSecret, ts, big.toString()),
    };
    expect(await post(big, headers)).toBe(413);
    expect(await post(big, headers, true)).toBe(413);
    // Well under the limit is read and passed on as usual: Bolt acknowledges it.
    const small = Buffer.from(`team_id=${T1}&channel_id=${C1}&user_id=${U1}&command=%2Fvideo&text=${'b'.repeat(1024)}`);
    expect(
      await post(small, {
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': signSlackRequest(SECRETS.signingSecret, ts, small.toString()),
      }),
    ).toBe(200);
    expect(sim.calls.filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it("GIVEN Slack's unsigned SSL check THEN 200 and nothing else happens; anything smuggled with it is not run", async () => {
    await setup();
    expect(await post(Buffer.from('ssl_check=1&token=x'), {})).toBe(200);
    expect(
      await post(
        Buffer.from(`ssl_check=1&team_id=${T1}&channel_id=${C1}&user_id=${U1}&command=%2Fvideo&text=smuggled`),
        {},
      ),
    ).toBe(200);
    expect(await post(Buffer.from(`team_id=${T1}&command=%2Fvideo&text=unsigned`), {})).toBe(401);
    expect(sim.calls).toHaveLength(0);
    expect(fake.messages).toHaveLength(0);
  });
});
