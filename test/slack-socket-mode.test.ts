import { afterEach, describe, expect, it } from 'vitest';
import { blockTexts } from './fakes/slack/index.js';
import { cardIsFinal, SECRETS, startBotInProcess, startFake, startSim, taskIdOfCard } from './helpers/slack-harness.js';
import { startSocketModeGateway } from './helpers/slack-socket.js';

/** With SLACK_APP_TOKEN set the same app runs over Socket Mode: no public URL, acks over the WebSocket. */

const TEAM = 'T0ACME';
const C1 = 'C0GENERAL';
const APP_TOKEN = 'xapp-1-A0FAKEAPP-4242-harnessAppTokenValue';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

describe('Slack over Socket Mode', () => {
  it('connects with the app token, acks envelopes at once and completes the card; /slack/events is not served', async () => {
    const sim = await startSim();
    cleanups.push(() => sim.close());
    const fake = await startFake([{ id: TEAM, channels: [C1] }]);
    cleanups.push(() => fake.close());
    const gateway = await startSocketModeGateway(fake, APP_TOKEN);
    cleanups.push(() => gateway.close());
    const bot = await startBotInProcess(sim, fake, {
      SLACK_APP_TOKEN: APP_TOKEN,
      SLACK_API_URL: gateway.apiUrl,
      LOG_LEVEL: 'debug',
    });
    cleanups.push(() => bot.close());

    expect(gateway.connected()).toBe(true);
    expect(gateway.opens).toEqual([`Bearer ${APP_TOKEN}`]);
    const http = await fetch(`http://127.0.0.1:${bot.port}/slack/events`, { method: 'POST', body: 'x' });
    expect(http.status).toBe(404);

    const common = {
      token: 'fakeVerificationToken000',
      team_id: TEAM,
      team_domain: 'acme',
      channel_id: C1,
      channel_name: 'general',
      user_id: 'U0ALICE',
      user_name: 'alice',
      api_app_id: 'A0FAKEAPP',
      trigger_id: '1.2.3',
    };
    const ackMs = await gateway.deliver('slash_commands', {
      ...common,
      command: '/video',
      text: 'a lantern floating on a lake',
      response_url: `${fake.baseUrl}response/none`,
    });
    expect(ackMs).toBeLessThan(3000);
    const card = await fake.waitFor(() => fake.messagesIn(C1)[0], 5000);
    await fake.waitFor(() => cardIsFinal(sim, card), 10_000);
    expect(sim.stats.creates).toBe(1);

    // A bad option: the (unusable) response_url fails, so the error arrives by chat.postEphemeral.
    await gateway.deliver('slash_commands', {
      ...common,
      command: '/video',
      text: 'a cat --ar 5:4',
      response_url: `${fake.baseUrl}response/none`,
    });
    const eph = await fake.waitFor(() => fake.ephemerals[0], 5000);
    expect(eph.via).toBe('chat.postEphemeral');
    expect(blockTexts(eph.blocks).join('\n')).toContain('aspect_ratio');

    // A button click over the socket: Regenerate posts a second card.
    const taskId = taskIdOfCard(card.blocks);
    await gateway.deliver('interactive', {
      type: 'block_actions',
      user: { id: 'U0ALICE', username: 'alice', name: 'alice', team_id: TEAM },
      api_app_id: 'A0FAKEAPP',
      token: 'fakeVerificationToken000',
      container: { type: 'message', message_ts: card.ts, channel_id: C1, is_ephemeral: false },
      trigger_id: '1.2.4',
      team: { id: TEAM, domain: 'acme' },
      channel: { id: C1, name: 'general' },
      message: { type: 'message', ts: card.ts, text: card.text },
      response_url: `${fake.baseUrl}response/none`,
      actions: [
        { action_id: 'kb_regenerate', block_id: 'b1', type: 'button', value: `kb:g:${taskId}`, action_ts: '1.0' },
      ],
    });
    await fake.waitFor(
      () => fake.messagesIn(C1).length === 2 && fake.messagesIn(C1).every((m) => cardIsFinal(sim, m)),
      10_000,
    );
    expect(sim.stats.creates).toBe(2);

    const logs = bot.logs.join('');
    const records = JSON.stringify({
      calls: fake.calls.map((c) => ({ ...c, headers: { ...c.headers, authorization: undefined } })),
      messages: fake.messages,
      ephemerals: fake.ephemerals,
    });
    for (const secret of [APP_TOKEN, ...Object.values(SECRETS)]) {
      expect(logs.includes(secret), 'secret in the log').toBe(false);
      expect(records.includes(secret), 'secret sent to Slack').toBe(false);
    }
  });
});
