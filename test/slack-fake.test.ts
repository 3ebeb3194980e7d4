import type { AddressInfo } from 'node:net';
import { App, LogLevel, webApi, type RespondFn, type types } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import {
  blockTexts,
  findButtons,
  startFakeSlack,
  type FakeSlack,
  type FakeSlackOptions,
  type JsonObject,
} from './fakes/slack/index.js';

const BOT_TOKEN = 'xoxb-123-456-fakebottokenvalue';
const SIGNING_SECRET = 'fake-signing-secret-0123456789abcdef';
const TEAM = 'T0TEAM1';
const CHANNEL = 'C0GENERAL';
const OTHER_CHANNEL = 'C0RANDOM';
const LOCKED_CHANNEL = 'C0LOCKED';
const USER = 'U0ALICE';

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  while (cleanups.length > 0) {
    const fn = cleanups.pop();
    if (fn) await fn();
  }
});

async function fakeSlack(extra: Partial<FakeSlackOptions> = {}): Promise<FakeSlack> {
  const fake = await startFakeSlack({
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    teams: [{ id: TEAM, domain: 'acme', channels: [CHANNEL, OTHER_CHANNEL, LOCKED_CHANNEL] }],
    notInChannel: [LOCKED_CHANNEL],
    ...extra,
  });
  cleanups.push(() => fake.close());
  return fake;
}

/** An unmodified Bolt App in HTTP mode, request verification on, pointed at the fake. */
async function startBot(
  fake: FakeSlack,
  setup: (app: App) => void,
  clientOptions: Omit<webApi.WebClientOptions, 'slackApiUrl'> = {},
): Promise<App> {
  const app = new App({
    token: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    clientOptions: { slackApiUrl: fake.apiUrl, ...clientOptions },
    tokenVerificationEnabled: false,
    logLevel: LogLevel.ERROR,
  });
  setup(app);
  const server = await app.start({ port: 0, host: '127.0.0.1' });
  const { port } = server.address() as AddressInfo;
  fake.setBotUrl(`http://127.0.0.1:${port}/slack/events`);
  cleanups.push(() => app.stop());
  return app;
}

/** WebClient logs Slack's response_metadata.messages at error level; the validation tests provoke them on purpose. */
const silentLogger: webApi.Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => webApi.LogLevel.ERROR,
  setName: () => undefined,
};

function webClient(fake: FakeSlack, opts: Omit<webApi.WebClientOptions, 'slackApiUrl'> = {}): webApi.WebClient {
  return new webApi.WebClient(BOT_TOKEN, {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
    logger: silentLogger,
    ...opts,
  });
}

const cardBlocks = (status: string): types.KnownBlock[] => [
  { type: 'header', text: { type: 'plain_text', text: 'Video task' } },
  { type: 'section', text: { type: 'mrkdwn', text: `*Status:* ${status}` } },
  {
    type: 'actions',
    block_id: 'task_actions',
    elements: [
      { type: 'button', action_id: 'cancel_task', text: { type: 'plain_text', text: 'Cancel' }, value: 'task-42' },
    ],
  },
];

/** The platform error a WebClient call failed with. */
async function apiError(p: Promise<unknown>): Promise<{ error: string; messages: string[] }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof webApi.WebAPIPlatformError) {
      return { error: e.data.error, messages: e.data.response_metadata?.messages ?? [] };
    }
    throw e;
  }
  throw new Error('expected the call to fail');
}

describe('fake Slack with an unmodified Bolt App', () => {
  it('delivers a signed slash command; the handler posts then updates a message', async () => {
    const fake = await fakeSlack();
    const seen: Record<string, string>[] = [];
    await startBot(fake, (app) => {
      app.command('/video', async ({ ack, client, command }) => {
        await ack();
        seen.push({ ...command });
        const r = await client.chat.postMessage({
          channel: command.channel_id,
          text: 'hi',
          blocks: cardBlocks('queued'),
        });
        if (!r.ts) throw new Error('no ts');
        await client.chat.update({ channel: command.channel_id, ts: r.ts, text: 'done', blocks: cardBlocks('done') });
      });
    });

    const res = await fake.sendCommand({
      teamId: TEAM,
      channelId: CHANNEL,
      userId: USER,
      command: '/video',
      text: 'a cat surfing',
    });
    expect(res.status).toBe(200);
    // Acknowledged within Slack's 3 s (the fake's own deadline decides timedOut; no window of the test's).
    expect(res.timedOut).toBe(false);

    const msg = await fake.waitFor(() => fake.messagesIn(CHANNEL).find((m) => m.edits.length === 1));
    expect(msg.text).toBe('done');
    expect(blockTexts(msg.blocks)).toContain('*Status:* done');
    expect(msg.user).toBe('U0FAKEBOT');
    expect(msg.edits[0]?.via).toBe('chat.update');

    // What Bolt handed the listener is exactly what the fake sent.
    expect(seen[0]).toMatchObject({
      team_id: TEAM,
      team_domain: 'acme',
      channel_id: CHANNEL,
      user_id: USER,
      command: '/video',
      text: 'a cat surfing',
      is_enterprise_install: 'false',
      response_url: res.responseUrl,
    });
    // Bolt (tokenVerificationEnabled: false) runs auth.test lazily on the first event.
    expect(fake.callsOf('auth.test')).toHaveLength(1);
    const post = fake.callsOf('chat.postMessage')[0];
    expect(post?.contentType).toBe('application/x-www-form-urlencoded');
    expect(post?.headers['authorization']).toBe(`Bearer ${BOT_TOKEN}`);
    expect(typeof post?.params['blocks']).toBe('string'); // WebClient JSON-encodes nested values
    // Nothing sent to Slack carries the signing secret.
    expect(JSON.stringify(fake.calls)).not.toContain(SIGNING_SECRET);
  });

  it('rejects bad, missing and stale signatures with 401 before any handler runs', async () => {
    const fake = await fakeSlack();
    let ran = 0;
    await startBot(fake, (app) => {
      app.command('/video', async ({ ack }) => {
        ran += 1;
        await ack();
      });
    });
    const base = { teamId: TEAM, channelId: CHANNEL, userId: USER, command: '/video', text: 'x' };
    expect((await fake.sendCommand({ ...base, signature: 'bad' })).status).toBe(401);
    expect((await fake.sendCommand({ ...base, signature: 'missing' })).status).toBe(401);
    expect((await fake.sendCommand({ ...base, timestampOffsetSec: -600 })).status).toBe(401);
    expect(
      (await fake.clickButton({ teamId: TEAM, channelId: CHANNEL, userId: USER, actionId: 'a', signature: 'bad' }))
        .status,
    ).toBe(401);
    expect(ran).toBe(0);
    expect(fake.calls).toHaveLength(0);
    // A fresh, valid one still works.
    expect((await fake.sendCommand(base)).status).toBe(200);
    expect(ran).toBe(1);
  });

  it('routes button clicks to app.action and respond() to the response_url, counting uses', async () => {
    const fake = await fakeSlack();
    const clicks: {
      value: string | undefined;
      containerTs: string;
      ephemeral: boolean;
      messageTs: string | undefined;
    }[] = [];
    let respondFromCommand: RespondFn | undefined;
    await startBot(fake, (app) => {
      app.command('/video', async ({ ack, respond, client, command }) => {
        await ack();
        respondFromCommand = respond;
        await client.chat.postMessage({ channel: command.channel_id, text: 'card', blocks: cardBlocks('running') });
        await respond({
          response_type: 'ephemeral',
          text: 'Really?',
          blocks: [
            {
              type: 'actions',
              elements: [
                { type: 'button', action_id: 'confirm', text: { type: 'plain_text', text: 'Yes' }, value: 'go' },
              ],
            },
          ],
        });
      });
      app.action('confirm', async ({ ack, body, respond }) => {
        await ack();
        if (body.type !== 'block_actions') return;
        const a = body.actions[0];
        clicks.push({
          value: a?.type === 'button' ? a.value : undefined,
          containerTs: String(body.container['message_ts']),
          ephemeral: body.container['is_ephemeral'] === true,
          messageTs: body.message?.ts,
        });
        await respond({ replace_original: true, text: 'Confirmed' });
      });
      app.action('cancel_task', async ({ ack, body, respond }) => {
        await ack();
        if (body.type !== 'block_actions') return;
        const a = body.actions[0];
        clicks.push({
          value: a?.type === 'button' ? a.value : undefined,
          containerTs: String(body.container['message_ts']),
          ephemeral: body.container['is_ephemeral'] === true,
          messageTs: body.message?.ts,
        });
        await respond({ response_type: 'in_channel', text: 'Cancelled by <@U0ALICE>' });
      });
    });

    const cmd = await fake.sendCommand({
      teamId: TEAM,
      channelId: CHANNEL,
      userId: USER,
      command: '/video',
      text: 'x',
    });
    const eph = await fake.waitFor(() => fake.ephemerals.find((e) => e.responseUrlId === cmd.responseUrlId));
    expect(eph).toMatchObject({ channel: CHANNEL, user: USER, text: 'Really?', via: 'response_url' });
    expect(fake.responseUrls.get(cmd.responseUrlId)?.uses).toBe(1);

    // Click on the ephemeral → replace_original edits that ephemeral.
    const click = await fake.clickButton({
      teamId: TEAM,
      channelId: CHANNEL,
      userId: USER,
      actionId: 'confirm',
      ephemeral: { responseUrlId: cmd.responseUrlId },
    });
    expect(click.status).toBe(200);
    await fake.waitFor(() => eph.edits.length === 1);
    expect(eph.text).toBe('Confirmed');
    expect(clicks[0]).toEqual({ value: 'go', containerTs: eph.ts, ephemeral: true, messageTs: undefined });
    expect(fake.responseUrls.get(click.responseUrlId)?.uses).toBe(1);

    // Click on the channel message → payload carries the recorded message; in_channel respond posts a message.
    const card = await fake.waitFor(() => fake.messagesIn(CHANNEL)[0]);
    expect(findButtons(card.blocks).map((b) => b.actionId)).toEqual(['cancel_task']);
    await fake.clickButton({
      teamId: TEAM,
      channelId: CHANNEL,
      userId: USER,
      actionId: 'cancel_task',
      messageTs: card.ts,
    });
    await fake.waitFor(() => fake.messagesIn(CHANNEL).find((m) => m.via === 'response_url'));
    expect(clicks[1]).toEqual({ value: 'task-42', containerTs: card.ts, ephemeral: false, messageTs: card.ts });

    // Clicking a button that is not there is a test bug, not a request.
    await expect(
      fake.clickButton({ teamId: TEAM, channelId: CHANNEL, userId: USER, actionId: 'nope', messageTs: card.ts }),
    ).rejects.toThrow(/no button/);

    // 5 uses per response_url: the command's URL was used once; 4 more succeed, the 6th is refused.
    if (!respondFromCommand) throw new Error('respond not captured');
    const respond = respondFromCommand;
    for (let i = 0; i < 4; i++) await respond({ text: `update ${i}` });
    await expect(respond({ text: 'one too many' })).rejects.toMatchObject({ statusCode: 404 });
    const ru = fake.responseUrls.get(cmd.responseUrlId);
    expect(ru?.uses).toBe(5);
    expect(ru?.rejected).toBe(1);
    const last = fake.calls.filter((c) => c.kind === 'response_url').at(-1);
    expect(last?.response).toEqual({ ok: false, error: 'used_url' });
  });

  it('a forced 429 on chat.update is waited out and retried by WebClient, and recorded as honored', async () => {
    const fake = await fakeSlack();
    fake.rateLimit('chat.update', { times: 1, retryAfterSec: 1 });
    await startBot(fake, (app) => {
      app.command('/video', async ({ ack, client, command }) => {
        await ack();
        const r = await client.chat.postMessage({
          channel: command.channel_id,
          text: 'hi',
          blocks: cardBlocks('queued'),
        });
        if (!r.ts) throw new Error('no ts');
        await client.chat.update({ channel: command.channel_id, ts: r.ts, text: 'done', blocks: cardBlocks('done') });
      });
    });
    const res = await fake.sendCommand({
      teamId: TEAM,
      channelId: CHANNEL,
      userId: USER,
      command: '/video',
      text: 'x',
    });
    expect(res.status).toBe(200);
    const msg = await fake.waitFor(() => fake.messagesIn(CHANNEL).find((m) => m.edits.length === 1), 8000);
    expect(msg.text).toBe('done');
    const updates = fake.callsOf('chat.update');
    expect(updates.map((c) => c.status)).toEqual([429, 200]);
    expect(fake.rateLimits).toHaveLength(1);
    expect(fake.rateLimits[0]).toMatchObject({
      method: 'chat.update',
      channel: CHANNEL,
      retryAfterSec: 1,
      reason: 'forced',
      honored: true,
    });
    expect(fake.rateLimits[0]?.waitedMs).toBeGreaterThanOrEqual(995);
  });

  it('with rejectRateLimitedCalls the call throws a rate-limited error carrying retryAfter', async () => {
    // The fake's clock stands still until the test moves it: the too-early retry is early however slow the run.
    let now = 0;
    const fake = await fakeSlack({ now: () => now });
    fake.rateLimit('chat.update', { times: 1, retryAfterSec: 1, channel: CHANNEL });
    const errors: unknown[] = [];
    await startBot(
      fake,
      (app) => {
        app.command('/video', async ({ ack, client, command }) => {
          await ack();
          const r = await client.chat.postMessage({ channel: command.channel_id, text: 'hi' });
          if (!r.ts) throw new Error('no ts');
          try {
            await client.chat.update({ channel: command.channel_id, ts: r.ts, text: 'done' });
          } catch (e) {
            errors.push(e);
          }
        });
      },
      { rejectRateLimitedCalls: true },
    );
    await fake.sendCommand({ teamId: TEAM, channelId: CHANNEL, userId: USER, command: '/video', text: 'x' });
    const err = await fake.waitFor(() => errors[0]);
    expect(err).toBeInstanceOf(webApi.WebAPIRateLimitedError);
    expect(err).toMatchObject({ code: webApi.ErrorCode.RateLimitedError, retryAfter: 1 });
    const rl = fake.rateLimits[0];
    expect(rl?.honored).toBeUndefined(); // the client never came back

    // A too-early retry is recorded as not honored, and refused: the Retry-After still runs.
    const client = webClient(fake, { rejectRateLimitedCalls: true });
    const ts = fake.messagesIn(CHANNEL)[0]?.ts ?? '';
    await expect(client.chat.update({ channel: CHANNEL, ts, text: 'again' })).rejects.toMatchObject({
      code: webApi.ErrorCode.RateLimitedError,
      retryAfter: 1,
    });
    expect(rl).toMatchObject({ honored: false });
    expect(fake.rateLimits.map((x) => [x.reason, x.forced])).toEqual([
      ['forced', true],
      ['blocked', false],
    ]);
    // Once it has passed, the call goes through.
    now += 1000;
    await client.chat.update({ channel: CHANNEL, ts, text: 'again, later' });
    expect(fake.messagesIn(CHANNEL)[0]?.text).toBe('again, later');
  });

  it('chat.postMessage: about one a second per channel after a short burst; other channels unaffected', async () => {
    // The fake's clock stands still until the test moves it: no token comes back during the burst, however slow.
    let now = 0;
    const fake = await fakeSlack({ channelLimit: null, now: () => now });
    const client = webClient(fake, { rejectRateLimitedCalls: true });
    for (let i = 0; i < 3; i++) await client.chat.postMessage({ channel: CHANNEL, text: `burst ${i}` });
    await expect(client.chat.postMessage({ channel: CHANNEL, text: 'one too many' })).rejects.toMatchObject({
      code: webApi.ErrorCode.RateLimitedError,
      retryAfter: 1,
    });
    await client.chat.postMessage({ channel: OTHER_CHANNEL, text: 'elsewhere' });
    expect(fake.rateLimits.map((x) => [x.method, x.channel, x.reason, x.forced])).toEqual([
      ['chat.postMessage', CHANNEL, 'post_limit', false],
    ]);
    // A second later there is room for one more.
    now += 1000;
    await client.chat.postMessage({ channel: CHANNEL, text: 'after a second' });
    expect(fake.messagesIn(CHANNEL)).toHaveLength(4);
  });

  it('chat.postEphemeral has a per-workspace limit', async () => {
    const fake = await fakeSlack({ ephemeralLimit: { requests: 2, windowMs: 60_000 } });
    const client = webClient(fake, { rejectRateLimitedCalls: true });
    await client.chat.postEphemeral({ channel: CHANNEL, user: USER, text: 'one' });
    await client.chat.postEphemeral({ channel: OTHER_CHANNEL, user: USER, text: 'two' });
    await expect(client.chat.postEphemeral({ channel: CHANNEL, user: USER, text: 'three' })).rejects.toMatchObject({
      code: webApi.ErrorCode.RateLimitedError,
      retryAfter: 60,
    });
    expect(fake.ephemerals).toHaveLength(2);
    expect(fake.rateLimits.map((x) => [x.method, x.team, x.reason, x.forced])).toEqual([
      ['chat.postEphemeral', TEAM, 'ephemeral_limit', false],
    ]);
  });

  it('enforces the always-on per-channel limit on chat.postMessage + chat.update', async () => {
    const fake = await fakeSlack({ channelLimit: { requests: 3, windowMs: 60_000 } });
    const client = webClient(fake, { rejectRateLimitedCalls: true });
    const r = await client.chat.postMessage({ channel: CHANNEL, text: '1' });
    await client.chat.update({ channel: CHANNEL, ts: r.ts ?? '', text: '1b' });
    await client.chat.postMessage({ channel: CHANNEL, text: '2' });
    await expect(client.chat.update({ channel: CHANNEL, ts: r.ts ?? '', text: '1c' })).rejects.toMatchObject({
      code: webApi.ErrorCode.RateLimitedError,
      retryAfter: 60,
    });
    // Other channels have their own budget.
    await client.chat.postMessage({ channel: OTHER_CHANNEL, text: 'elsewhere' });
    expect(fake.rateLimits.map((x) => [x.method, x.channel, x.reason])).toEqual([
      ['chat.update', CHANNEL, 'channel_limit'],
    ]);
  });

  it('enforces the per-workspace chat.update limit across channels; other workspaces are not affected', async () => {
    const fake = await fakeSlack({
      workspaceUpdateLimit: { requests: 3, windowMs: 60_000 },
      teams: [
        { id: TEAM, domain: 'acme', channels: [CHANNEL, OTHER_CHANNEL, LOCKED_CHANNEL] },
        { id: 'T0OTHER', domain: 'other', channels: ['C0OTHERTEAM'] },
      ],
    });
    const client = webClient(fake, { rejectRateLimitedCalls: true });
    const a = await client.chat.postMessage({ channel: CHANNEL, text: 'a' });
    const b = await client.chat.postMessage({ channel: OTHER_CHANNEL, text: 'b' });
    const c = await client.chat.postMessage({ channel: 'C0OTHERTEAM', text: 'c' });
    await client.chat.update({ channel: CHANNEL, ts: a.ts ?? '', text: 'a1' });
    await client.chat.update({ channel: OTHER_CHANNEL, ts: b.ts ?? '', text: 'b1' });
    await client.chat.update({ channel: CHANNEL, ts: a.ts ?? '', text: 'a2' });
    await expect(client.chat.update({ channel: OTHER_CHANNEL, ts: b.ts ?? '', text: 'b2' })).rejects.toMatchObject({
      code: webApi.ErrorCode.RateLimitedError,
    });
    // Posting is not chat.update, and another workspace has its own minute.
    await client.chat.postMessage({ channel: CHANNEL, text: 'still posts' });
    await client.chat.update({ channel: 'C0OTHERTEAM', ts: c.ts ?? '', text: 'c1' });
    expect(fake.rateLimits.map((x) => [x.method, x.channel, x.team, x.reason])).toEqual([
      ['chat.update', OTHER_CHANNEL, TEAM, 'workspace_limit'],
    ]);
    // The next chat.update anywhere in that workspace says whether the client waited.
    await client.chat.update({ channel: CHANNEL, ts: a.ts ?? '', text: 'too soon' }).catch(() => undefined);
    expect(fake.rateLimits[0]?.honored).toBe(false);
  });

  it('validates auth, channels, messages and blocks like Slack', async () => {
    // Rejected calls count against the per-channel limit too; this test makes many of them.
    const fake = await fakeSlack({ channelLimit: null, postMessageLimit: null });
    const client = webClient(fake);

    // Auth.
    const raw = async (init: RequestInit, method = 'chat.postMessage'): Promise<unknown> =>
      (await fetch(`${fake.apiUrl}${method}`, { method: 'POST', ...init })).json();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect(await raw({ headers: form, body: 'channel=C0GENERAL&text=hi' })).toEqual({ ok: false, error: 'not_authed' });
    expect(
      await raw({ headers: { ...form, authorization: 'Bearer xoxb-wrong' }, body: 'channel=C0GENERAL&text=hi' }),
    ).toEqual({
      ok: false,
      error: 'invalid_auth',
    });
    expect(await raw({ headers: form, body: `token=${BOT_TOKEN}&channel=C0GENERAL&text=form-token` })).toMatchObject({
      ok: true,
    });
    expect(
      await raw({
        headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${BOT_TOKEN}` },
        body: JSON.stringify({ channel: CHANNEL, text: 'json', blocks: cardBlocks('json') }),
      }),
    ).toMatchObject({ ok: true, channel: CHANNEL });
    expect(await raw({ headers: { ...form, authorization: `Bearer ${BOT_TOKEN}` }, body: '' }, 'files.upload')).toEqual(
      {
        ok: false,
        error: 'unknown_method',
      },
    );
    expect(await apiError(webClient(fake).apiCall('users.list'))).toMatchObject({ error: 'unknown_method' });
    await expect(
      new webApi.WebClient('xoxb-nope', { slackApiUrl: fake.apiUrl, logger: silentLogger }).auth.test(),
    ).rejects.toMatchObject({
      data: { error: 'invalid_auth' },
    });
    expect(await client.auth.test()).toMatchObject({
      ok: true,
      team_id: TEAM,
      user_id: 'U0FAKEBOT',
      bot_id: 'B0FAKEBOT',
      url: 'https://acme.slack.com/',
    });

    // Channels and messages.
    expect(await apiError(client.chat.postMessage({ channel: 'C0NOPE', text: 'x' }))).toMatchObject({
      error: 'channel_not_found',
    });
    expect(await apiError(client.chat.postMessage({ channel: LOCKED_CHANNEL, text: 'x' }))).toMatchObject({
      error: 'not_in_channel',
    });
    expect(await apiError(client.chat.postMessage({ channel: CHANNEL, text: '' }))).toMatchObject({ error: 'no_text' });
    expect(await apiError(client.chat.postMessage({ channel: CHANNEL, text: 'x'.repeat(40_001) }))).toMatchObject({
      error: 'msg_too_long',
    });
    expect(await apiError(client.chat.update({ channel: CHANNEL, ts: '1.000001', text: 'x' }))).toMatchObject({
      error: 'message_not_found',
    });
    const eph = await client.chat.postEphemeral({ channel: CHANNEL, user: USER, text: 'psst' });
    expect(eph.message_ts).toBeTruthy();
    expect(fake.ephemerals.at(-1)).toMatchObject({
      channel: CHANNEL,
      user: USER,
      text: 'psst',
      via: 'chat.postEphemeral',
    });
    expect(await apiError(client.chat.update({ channel: CHANNEL, ts: eph.message_ts ?? '', text: 'x' }))).toMatchObject(
      {
        error: 'message_not_found',
      },
    );
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'bye', thread_ts: undefined });
    expect(posted.message?.text).toBe('bye');
    await client.chat.delete({ channel: CHANNEL, ts: posted.ts ?? '' });
    expect(fake.getMessage(CHANNEL, posted.ts ?? '')?.deleted).toBe(true);
    expect(await apiError(client.chat.delete({ channel: CHANNEL, ts: posted.ts ?? '' }))).toMatchObject({
      error: 'message_not_found',
    });
    expect(await client.conversations.info({ channel: LOCKED_CHANNEL })).toMatchObject({
      channel: { id: LOCKED_CHANNEL, is_member: false },
    });

    // Blocks.
    const blocksError = (blocks: unknown[]): Promise<{ error: string; messages: string[] }> =>
      apiError(client.apiCall('chat.postMessage', { channel: CHANNEL, text: 'fallback', blocks }));
    const longSection = await blocksError([{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }]);
    expect(longSection.error).toBe('invalid_blocks');
    expect(longSection.messages).toEqual([
      '[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]',
    ]);
    expect((await blocksError([{ type: 'header', text: { type: 'mrkdwn', text: 'Title' } }])).messages[0]).toContain(
      '/blocks/0/text/type',
    );
    expect((await blocksError([{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }])).error).toBe(
      'invalid_blocks',
    );
    const button = (id: string, extra: JsonObject = {}): JsonObject => ({
      type: 'button',
      action_id: id,
      text: { type: 'plain_text', text: 'Go' },
      ...extra,
    });
    expect(
      (
        await blocksError([
          { type: 'actions', elements: [button('a', { text: { type: 'plain_text', text: 'b'.repeat(76) } })] },
        ])
      ).messages[0],
    ).toContain('/blocks/0/elements/0/text/text');
    expect((await blocksError([{ type: 'actions', elements: [button('a', { value: 'v'.repeat(2001) })] }])).error).toBe(
      'invalid_blocks',
    );
    expect((await blocksError([{ type: 'actions', elements: [button('a'.repeat(256))] }])).error).toBe(
      'invalid_blocks',
    );
    expect(
      (
        await blocksError([
          { type: 'actions', elements: [button('a'), button('b')] },
          { type: 'actions', elements: [button('a')] },
        ])
      ).messages[0],
    ).toContain('duplicate action_id');
    expect(
      (await blocksError([{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button(`b${i}`)) }])).error,
    ).toBe('invalid_blocks');
    expect((await blocksError(Array.from({ length: 51 }, () => ({ type: 'divider' })))).messages[0]).toContain(
      'no more than 50 items',
    );
    expect(
      (
        await blocksError([
          { type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) },
        ])
      ).error,
    ).toBe('invalid_blocks');
    expect(
      (
        await blocksError([
          { type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' })) },
        ])
      ).error,
    ).toBe('invalid_blocks');
    expect(
      (await blocksError([{ type: 'section', text: { type: 'mrkdwn', text: 'x' }, colour: 'red' }])).messages[0],
    ).toContain('colour');
    expect((await blocksError([{ type: 'carousel' }])).error).toBe('invalid_blocks');
    const tooMuch = Array.from({ length: 5 }, (_, i) => ({
      type: 'section',
      block_id: `s${i}`,
      text: { type: 'mrkdwn', text: 'y'.repeat(2900) },
    }));
    expect((await blocksError(tooMuch)).error).toBe('msg_blocks_too_long');
    expect(
      await apiError(client.apiCall('chat.postMessage', { channel: CHANNEL, text: 'x', blocks: '[{' })),
    ).toMatchObject({
      error: 'invalid_blocks_format',
    });
    // Nothing invalid was recorded as a message.
    expect(fake.messagesIn(CHANNEL).map((m) => m.text)).toEqual(['form-token', 'json']);
  });

  it('expires response_urls after their lifetime', async () => {
    // The fake's clock stands still until the test moves it past the lifetime.
    let now = 0;
    const fake = await fakeSlack({ responseUrlLifetimeMs: 1000, now: () => now });
    await startBot(fake, (app) => {
      app.command('/video', async ({ ack }) => {
        await ack();
      });
    });
    const cmd = await fake.sendCommand({
      teamId: TEAM,
      channelId: CHANNEL,
      userId: USER,
      command: '/video',
      text: 'x',
    });
    const post = (body: JsonObject): Promise<Response> =>
      fetch(cmd.responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const bad = await post({ text: 'bad', blocks: [{ type: 'section' }] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect((await post({ response_type: 'in_channel', text: 'public' })).status).toBe(200);
    expect(fake.messagesIn(CHANNEL).map((m) => [m.text, m.via])).toEqual([['public', 'response_url']]);
    // Past the lifetime (counted from the command).
    now += 1001;
    const late = await post({ text: 'late' });
    expect(late.status).toBe(404);
    expect(await late.json()).toEqual({ ok: false, error: 'expired_url' });
  });

  it('takes one POST per upload URL within its lifetime, counted on the fake clock', async () => {
    let now = 0;
    const fake = await fakeSlack({ uploadUrlTtlMs: 1000, now: () => now });
    const client = webClient(fake);
    const bytes = Buffer.alloc(64, 1);
    const urlFor = async (filename: string) => {
      const got = await client.files.getUploadURLExternal({ filename, length: bytes.length });
      return { url: got.upload_url ?? '', id: got.file_id ?? '' };
    };
    const post = (url: string) => fetch(url, { method: 'POST', body: bytes });
    const inTime = await urlFor('a.mp4');
    now += 1000;
    expect((await post(inTime.url)).status).toBe(200);
    expect((await post(inTime.url)).status).toBe(400);
    const late = await urlFor('b.mp4');
    now += 1001;
    const refused = await post(late.url);
    expect(refused.status).toBe(410);
    expect(fake.files.uploads.get(late.id)?.refused).toBe('upload URL expired');
  });
});
