/**
 * Proves the fake Discord against an unmodified discord.js v14 Client on loopback.
 */
import {
  ButtonStyle,
  Client,
  ComponentType,
  DiscordAPIError,
  GatewayIntentBits,
  MessageFlags,
  Routes,
  type Interaction,
  type TextChannel,
} from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  channelWrites,
  maxAttemptsPerWindow,
  snowflake,
  startFakeDiscord,
  unforced429s,
  type FakeDiscord,
  type FakeDiscordOptions,
} from './fakes/discord/index.js';

const TOKEN = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.fake.bot-token-for-tests';
const APP = snowflake(Date.parse('2023-01-01T00:00:00Z'));
const GUILD = snowflake(Date.parse('2023-02-01T00:00:00Z'));
const CHANNEL = snowflake(Date.parse('2023-02-02T00:00:00Z'));
const OTHER_CHANNEL = snowflake(Date.parse('2023-02-03T00:00:00Z'));
const USER = { id: snowflake(Date.parse('2023-03-01T00:00:00Z')), username: 'alice' };

const VIDEO_COMMAND = {
  name: 'video',
  description: 'Generate a video',
  options: [
    { type: 3, name: 'prompt', description: 'What to generate', required: true, max_length: 2500 },
    { type: 11, name: 'image', description: 'Start frame', required: false },
  ],
};

let fake: FakeDiscord | undefined;
let client: Client | undefined;

afterEach(async () => {
  await client?.destroy();
  client = undefined;
  await fake?.close();
  fake = undefined;
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Setup {
  fake: FakeDiscord;
  client: Client;
  /** Errors thrown by the interaction handler. */
  errors: unknown[];
}

async function setup(
  handler: ((i: Interaction) => Promise<void>) | null,
  over: Partial<FakeDiscordOptions> = {},
): Promise<Setup> {
  const f = await startFakeDiscord({
    botToken: TOKEN,
    applicationId: APP,
    guilds: [{ id: GUILD, name: 'Test Guild', channels: [CHANNEL, OTHER_CHANNEL] }],
    ...over,
  });
  fake = f;
  const c = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: f.apiUrl } });
  client = c;
  const errors: unknown[] = [];
  if (handler) {
    c.on('interactionCreate', (i) => {
      handler(i).catch((e: unknown) => errors.push(e));
    });
  }
  const ready = new Promise<void>((resolve) => c.once('clientReady', () => resolve()));
  await c.login(TOKEN);
  await ready;
  await c.rest.put(Routes.applicationGuildCommands(APP, GUILD), { body: [VIDEO_COMMAND] });
  return { fake: f, client: c, errors };
}

function apiCode(e: unknown): number | string | undefined {
  return e instanceof DiscordAPIError ? e.code : undefined;
}

const videoCommand = {
  guildId: GUILD,
  channelId: CHANNEL,
  user: USER,
  name: 'video',
  options: [{ name: 'prompt', type: 3, value: 'a cat surfing' }],
};

describe('fake Discord with an unmodified discord.js Client', () => {
  it('gets ready with guild + channel caches and stores registered commands', async () => {
    const { fake: f, client: c } = await setup(null);
    expect(f.connected()).toBe(true);
    expect(c.user?.id).toBe(f.botUserId);
    const guild = c.guilds.cache.get(GUILD);
    expect(guild?.name).toBe('Test Guild');
    expect(guild?.members.me?.id).toBe(f.botUserId);
    expect(c.channels.cache.get(CHANNEL)?.isTextBased()).toBe(true);

    const cmds = f.commands({ guildId: GUILD });
    expect(cmds).toHaveLength(1);
    expect(cmds[0]).toMatchObject({ name: 'video', guild_id: GUILD, application_id: APP });
    expect(f.commandRegistrations.at(-1)).toMatchObject({ guildId: GUILD, method: 'PUT', status: 200 });
    const listed: unknown = await c.rest.get(Routes.applicationGuildCommands(APP, GUILD));
    expect(listed).toEqual(cmds);

    // Invalid definitions are refused like Discord does: uppercase name, optional before required.
    const bad = await c.rest
      .put(Routes.applicationGuildCommands(APP, GUILD), {
        body: [
          {
            name: 'Video',
            description: 'x',
            options: [
              { type: 3, name: 'a', description: 'a' },
              { type: 3, name: 'b', description: 'b', required: true },
            ],
          },
        ],
      })
      .catch((e: unknown) => e);
    expect(apiCode(bad)).toBe(50035);
    expect(f.commands({ guildId: GUILD })).toEqual(cmds);

    // Bot-token routes refuse a wrong token.
    const res = await fetch(`${f.apiUrl}/v10/gateway/bot`, { headers: { Authorization: 'Bot nope' } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: '401: Unauthorized', code: 0 });
  });

  it('rejects a bad token at login', async () => {
    const f = await startFakeDiscord({
      botToken: TOKEN,
      applicationId: APP,
      guilds: [{ id: GUILD, channels: [CHANNEL] }],
    });
    fake = f;
    const c = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: f.apiUrl } });
    client = c;
    await expect(c.login('wrong-token')).rejects.toThrow(/invalid/i);
    expect(f.connected()).toBe(false);
  });

  it('sendCommand → deferReply + editReply({embeds, components}) is recorded with its latency', async () => {
    const seen: { channel: boolean; guild: boolean; prompt: string | null } = {
      channel: false,
      guild: false,
      prompt: null,
    };
    const { fake: f, errors } = await setup(async (i) => {
      if (!i.isChatInputCommand()) return;
      seen.channel = i.channel !== null;
      seen.guild = i.guild !== null;
      seen.prompt = i.options.getString('prompt');
      await i.deferReply();
      await i.editReply({
        embeds: [{ title: 'Generating…', description: 'a cat surfing', color: 0x5865f2 }],
        components: [
          {
            type: ComponentType.ActionRow,
            components: [
              { type: ComponentType.Button, style: ButtonStyle.Secondary, custom_id: 'cancel:1', label: 'Cancel' },
            ],
          },
        ],
      });
    });
    const rec = await f.sendCommand(videoCommand);
    await f.waitFor(() => rec.responses.some((r) => r.kind === 'edit' && r.ok));
    expect(errors).toEqual([]);
    expect(seen).toEqual({ channel: true, guild: true, prompt: 'a cat surfing' });
    expect(rec.ackType).toBe(5);
    expect(rec.ackLatencyMs).toBeLessThan(3000);
    expect(rec.ephemeral).toBe(false);
    const msg = f.messages.get(rec.originalMessageId ?? '');
    expect(msg).toBeDefined();
    expect(msg?.loading).toBe(false);
    expect(msg?.via).toBe('interaction');
    expect(msg?.embeds[0]).toMatchObject({ title: 'Generating…', type: 'rich' });
    expect(msg?.components[0]).toMatchObject({ type: 1, components: [{ custom_id: 'cancel:1' }] });
    expect(msg?.edits).toHaveLength(1);
    expect(msg?.edits[0]?.via).toBe('webhook');
    expect(f.messagesIn(CHANNEL)).toHaveLength(1);
    // The bot token never travels on interaction routes (they use the interaction token).
    const webhookReqs = f.requests.filter(
      (r) => r.path.startsWith('/webhooks/') || r.path.startsWith('/interactions/'),
    );
    expect(webhookReqs.length).toBeGreaterThanOrEqual(2);
    expect(webhookReqs.every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it('a late ack gets 10062 Unknown interaction', async () => {
    let caught: unknown;
    const { fake: f } = await setup(
      async (i) => {
        if (!i.isChatInputCommand()) return;
        await sleep(400);
        await i.deferReply().catch((e: unknown) => {
          caught = e;
        });
      },
      { interactionDeadlineMs: 300 },
    );
    const rec = await f.sendCommand(videoCommand);
    await f.waitFor(() => caught);
    expect(apiCode(caught)).toBe(10062);
    expect(rec.ackedAt).toBeUndefined();
    expect(rec.lateCallbackAt).toHaveLength(1);
    expect(rec.responses[0]).toMatchObject({ kind: 'callback', ok: false, status: 404, errorCode: 10062 });
  });

  it('a second callback is refused with 40060', async () => {
    const { fake: f, client: c } = await setup(null);
    const rec = await f.sendCommand(videoCommand);
    const route = Routes.interactionCallback(rec.id, rec.token);
    await c.rest.post(route, { body: { type: 4, data: { content: 'first' } }, auth: false });
    const second = await c.rest
      .post(route, { body: { type: 4, data: { content: 'again' } }, auth: false })
      .catch((e: unknown) => e);
    expect(apiCode(second)).toBe(40060);
    expect(rec.ackType).toBe(4);
    expect(f.messages.get(rec.originalMessageId ?? '')?.content).toBe('first');
  });

  it('after the token expires editReply fails with 50027 but the bot-token channel route still edits', async () => {
    const results: { late?: unknown; mid?: string } = {};
    const { fake: f, client: c } = await setup(
      async (i) => {
        if (!i.isChatInputCommand()) return;
        await i.deferReply();
        const m = await i.editReply('working…');
        results.mid = m.id;
        await sleep(600);
        results.late = await i.editReply('done').catch((e: unknown) => e);
      },
      { tokenLifetimeMs: 500 },
    );
    await f.sendCommand(videoCommand);
    await f.waitFor(() => results.late);
    expect(apiCode(results.late)).toBe(50027);
    const mid = results.mid ?? '';
    const channel = c.channels.cache.get(CHANNEL) as TextChannel;
    const edited = await channel.messages.edit(mid, { content: 'done (via channel)' });
    expect(edited.content).toBe('done (via channel)');
    const msg = f.messages.get(mid);
    expect(msg?.content).toBe('done (via channel)');
    expect(msg?.edits.map((e) => e.via)).toEqual(['webhook', 'channel']);
    expect(msg?.editedAt).not.toBeNull();
  });

  it('a forced 429 on a channel is waited out by discord.js and recorded as honored', async () => {
    const { fake: f, client: c } = await setup(null);
    const channel = c.channels.cache.get(CHANNEL) as TextChannel;
    f.rateLimitChannel(CHANNEL, { times: 1, retryAfterMs: 300 });
    const t0 = Date.now();
    const sent = await channel.send('hello');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(sent.content).toBe('hello');
    expect(f.rateLimits).toHaveLength(1);
    expect(f.rateLimits[0]).toMatchObject({
      channelId: CHANNEL,
      retryAfterMs: 300,
      forced: true,
      honored: true,
      route: 'POST /channels/:id/messages',
    });
    const limited = f.requests.find((r) => r.status === 429);
    expect(limited?.response).toMatchObject({
      message: 'You are being rate limited.',
      retry_after: 0.3,
      global: false,
    });
    expect(f.messagesIn(CHANNEL).map((m) => m.content)).toEqual(['hello']);
  });

  it('a forced 429 on interaction-webhook edits in that channel is honored too', async () => {
    const out: { edited?: boolean } = {};
    const { fake: f, errors } = await setup(async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.deferReply();
      await i.editReply('done');
      out.edited = true;
    });
    f.rateLimitChannel(CHANNEL, { times: 2, retryAfterMs: 200 });
    const rec = await f.sendCommand(videoCommand);
    await f.waitFor(() => out.edited);
    expect(errors).toEqual([]);
    expect(f.rateLimits.map((r) => [r.route, r.forced, r.honored])).toEqual([
      ['PATCH /webhooks/:id/:token/messages/:id', true, true],
      ['PATCH /webhooks/:id/:token/messages/:id', true, true],
    ]);
    expect(rec.responses.filter((r) => r.kind === 'edit').map((r) => r.status)).toEqual([429, 429, 200]);
    expect(f.messages.get(rec.originalMessageId ?? '')?.content).toBe('done');
  });

  it('the realistic per-channel bucket queues a burst without losing messages', async () => {
    const { fake: f, client: c } = await setup(null, { channelEditLimit: { requests: 2, windowMs: 400 } });
    const channel = c.channels.cache.get(CHANNEL) as TextChannel;
    const t0 = Date.now();
    await Promise.all([1, 2, 3, 4, 5].map((n) => channel.send(`msg ${n}`)));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
    expect(f.messagesIn(CHANNEL)).toHaveLength(5);
    // discord.js reads X-RateLimit-Remaining / Reset-After and waits before the bucket is empty: no 429 at all,
    // never more than 2 attempts in one of the bucket's windows, and the five writes spread over at least three.
    expect(unforced429s(f)).toEqual([]);
    expect(maxAttemptsPerWindow(f, CHANNEL)).toBe(2);
    const writes = channelWrites(f, CHANNEL);
    expect(writes).toHaveLength(5);
    expect(new Set(writes.map((w) => w.channelWrite.windowStart)).size).toBeGreaterThanOrEqual(3);
  });

  it('follow-ups, webhook edits and webhook deletes share the channel bucket; the interaction callback does not', async () => {
    const out: { done?: boolean; refused?: unknown } = {};
    const { fake: f, errors } = await setup(
      async (i) => {
        if (!i.isChatInputCommand()) return;
        await i.reply('card'); // callback (type 4): exempt
        await i.editReply('card, edited'); // 1
        const extra = await i.followUp('follow-up'); // 2
        await i.webhook.deleteMessage(extra.id); // 3
        // The bucket (3 per window here) is empty: the next webhook write in that channel is refused with 429.
        out.refused = await fetch(`${f.apiUrl}/v10/webhooks/${APP}/${i.token}/messages/@original`, {
          method: 'PATCH',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ content: 'one too many' }),
        }).then(async (r) => ({ status: r.status, headers: Object.fromEntries(r.headers), body: await r.json() }));
        out.done = true;
      },
      { channelEditLimit: { requests: 3, windowMs: 60_000 } },
    );
    const rec = await f.sendCommand(videoCommand);
    await f.waitFor(() => out.done, 5000);
    expect(errors).toEqual([]);
    expect(rec.ackType).toBe(4);
    const writes = channelWrites(f, CHANNEL);
    expect(writes.map((w) => `${w.method} ${w.status}`)).toEqual(['PATCH 200', 'POST 200', 'DELETE 204', 'PATCH 429']);
    expect(f.requests.find((r) => r.path.startsWith('/interactions/'))?.channelWrite).toBeUndefined();
    // Every answer on a bucket route says where the bucket stands.
    for (const w of writes) expect(Object.keys(w.channelWrite)).toContain('windowStart');
    expect(writes.at(-1)?.channelWrite).toMatchObject({ limited: 'unforced', cause: 'limit' });
    expect(out.refused).toMatchObject({
      status: 429,
      headers: {
        'x-ratelimit-limit': '3',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-scope': 'user',
        'retry-after': expect.stringMatching(/^\d+$/),
      },
      body: { message: 'You are being rate limited.', global: false, retry_after: expect.any(Number) },
    });
    expect(unforced429s(f)).toHaveLength(1);
    expect(maxAttemptsPerWindow(f, CHANNEL)).toBe(4);
  });

  it('answers on bucket routes carry X-RateLimit-*; a write sent during a forced Retry-After is an unforced 429', async () => {
    const { fake: f } = await setup(null, { channelEditLimit: { requests: 5, windowMs: 5000 } });
    const headersOf = async (r: Response) => ({ status: r.status, h: Object.fromEntries(r.headers) });
    const post = (content: string) =>
      fetch(`${f.apiUrl}/v10/channels/${CHANNEL}/messages`, {
        method: 'POST',
        headers: { authorization: `Bot ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content }),
      }).then(headersOf);
    const first = await post('one');
    expect(first.status).toBe(200);
    expect(first.h).toMatchObject({
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '4',
      'x-ratelimit-bucket': expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(Number(first.h['x-ratelimit-reset-after'])).toBeGreaterThan(4);
    expect(Number(first.h['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
    // A refusal before the bucket (unknown message) still carries the bucket's headers.
    const missing = await fetch(`${f.apiUrl}/v10/channels/${CHANNEL}/messages/${snowflake()}`, {
      method: 'PATCH',
      headers: { authorization: `Bot ${TOKEN}`, 'content-type': 'application/json' },
      body: '{"content":"x"}',
    }).then(headersOf);
    expect(missing.status).toBe(404);
    expect(missing.h['x-ratelimit-bucket']).toBe(first.h['x-ratelimit-bucket']);
    f.rateLimitChannel(CHANNEL, { times: 1, retryAfterMs: 2000 });
    const forced = await post('two');
    const early = await post('three');
    expect([forced.status, early.status]).toEqual([429, 429]);
    expect(f.rateLimits.map((r) => [r.forced, r.cause])).toEqual([
      [true, 'forced'],
      [false, 'blocked'],
    ]);
    expect(channelWrites(f, CHANNEL).map((w) => w.channelWrite.limited)).toEqual([
      undefined,
      undefined,
      'forced',
      'unforced',
    ]);
    expect(unforced429s(f)).toHaveLength(1);
    // Forced 429s are the test's, not the bot's: they do not count as attempts in the window.
    expect(maxAttemptsPerWindow(f, CHANNEL)).toBe(2);
  });

  it('an over-long embed title gets 50035 and the interaction can still be answered', async () => {
    const out: { first?: unknown } = {};
    const { fake: f, errors } = await setup(async (i) => {
      if (!i.isChatInputCommand()) return;
      out.first = await i.reply({ embeds: [{ title: 'x'.repeat(300) }] }).catch((e: unknown) => e);
      await i.reply({ embeds: [{ title: 'ok' }] });
    });
    const rec = await f.sendCommand(videoCommand);
    await f.waitFor(() => rec.ackedAt);
    expect(errors).toEqual([]);
    expect(apiCode(out.first)).toBe(50035);
    const raw = out.first instanceof DiscordAPIError ? out.first.rawError : undefined;
    expect(raw).toMatchObject({
      errors: { data: { embeds: { '0': { title: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH' }] } } } } },
    });
    expect(rec.ackType).toBe(4);
    expect(f.messages.get(rec.originalMessageId ?? '')?.embeds[0]?.title).toBe('ok');
  });

  it('a button click arrives as a ButtonInteraction and update() edits the message', async () => {
    const seen: { customId?: string; messageId?: string } = {};
    const { fake: f, errors } = await setup(async (i) => {
      if (i.isChatInputCommand()) {
        await i.reply({
          content: 'pick one',
          components: [
            {
              type: ComponentType.ActionRow,
              components: [
                { type: ComponentType.Button, style: ButtonStyle.Primary, custom_id: 'again', label: 'Again' },
                {
                  type: ComponentType.Button,
                  style: ButtonStyle.Link,
                  url: 'https://example.com/v.mp4',
                  label: 'Open',
                },
              ],
            },
          ],
        });
      } else if (i.isButton()) {
        seen.customId = i.customId;
        seen.messageId = i.message.id;
        await i.update({ content: 'clicked', components: [] });
      }
    });
    const cmd = await f.sendCommand(videoCommand);
    const mid = await f.waitFor(() => cmd.originalMessageId);
    const click = await f.clickButton({ messageId: mid, customId: 'again', user: USER });
    await f.waitFor(() => click.ackedAt);
    expect(errors).toEqual([]);
    expect(seen).toEqual({ customId: 'again', messageId: mid });
    expect(click.ackType).toBe(7);
    const msg = f.messages.get(mid);
    expect(msg?.content).toBe('clicked');
    expect(msg?.components).toEqual([]);
    expect(msg?.edits.map((e) => e.via)).toEqual(['callback']);
    await expect(f.clickButton({ messageId: mid, customId: 'again', user: USER })).rejects.toThrow(/no button/);
  });

  it('an ephemeral reply cannot be fetched or edited through the channel route (10008)', async () => {
    const out: { mid?: string } = {};
    const { fake: f, client: c } = await setup(async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.deferReply({ flags: MessageFlags.Ephemeral });
      const m = await i.editReply('secret');
      out.mid = m.id;
    });
    const rec = await f.sendCommand(videoCommand);
    const mid = await f.waitFor(() => out.mid);
    expect(rec.ephemeral).toBe(true);
    expect(f.messages.get(mid)?.flags).toBe(MessageFlags.Ephemeral);
    const edit = await c.rest
      .patch(Routes.channelMessage(CHANNEL, mid), { body: { content: 'leak' } })
      .catch((e: unknown) => e);
    expect(apiCode(edit)).toBe(10008);
    const get = await c.rest.get(Routes.channelMessage(CHANNEL, mid)).catch((e: unknown) => e);
    expect(apiCode(get)).toBe(10008);
    expect(f.messages.get(mid)?.content).toBe('secret');
  });

  it('multipart uploads become attachments; invalid components are refused', async () => {
    const out: { bad?: unknown } = {};
    const { fake: f, errors } = await setup(async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.deferReply();
      out.bad = await i
        .editReply({
          components: [
            {
              type: ComponentType.ActionRow,
              components: [
                { type: ComponentType.Button, style: ButtonStyle.Primary, custom_id: 'dup', label: 'A' },
                { type: ComponentType.Button, style: ButtonStyle.Primary, custom_id: 'dup', label: 'B' },
              ],
            },
          ],
        })
        .catch((e: unknown) => e);
      await i.editReply({ content: 'here', files: [{ attachment: Buffer.from('fake-mp4-bytes'), name: 'video.mp4' }] });
    });
    const rec = await f.sendCommand({
      ...videoCommand,
      options: [...videoCommand.options, { name: 'image', type: 11, value: 'cat.png' }],
      attachments: [{ filename: 'cat.png', contentType: 'image/png', size: 1234, width: 512, height: 512 }],
    });
    await f.waitFor(() => rec.responses.some((r) => r.kind === 'edit' && r.ok));
    expect(errors).toEqual([]);
    expect(apiCode(out.bad)).toBe(50035);
    const msg = f.messages.get(rec.originalMessageId ?? '');
    expect(msg?.attachments).toHaveLength(1);
    expect(msg?.attachments[0]).toMatchObject({ filename: 'video.mp4', size: 14 });
    const upload = f.requests.find((r) => r.method === 'PATCH' && r.status === 200);
    expect(upload?.body).toMatchObject({ files: [{ field: 'files[0]', filename: 'video.mp4' }] });
    const resolved = (rec.payload.data as { resolved?: { attachments?: Record<string, { filename: string }> } })
      .resolved;
    expect(Object.values(resolved?.attachments ?? {}).map((a) => a.filename)).toEqual(['cat.png']);
  });

  it('a restarted bot (a new Client) takes over; nothing is dispatched while it is down', async () => {
    const { fake: f, client: first } = await setup(async (i) => {
      if (i.isChatInputCommand()) await i.reply('from first');
    });
    await first.destroy();
    client = undefined;
    await f.waitFor(() => !f.connected());
    await expect(f.sendCommand(videoCommand)).rejects.toThrow(/no bot is connected/);
    const second = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: f.apiUrl } });
    client = second;
    second.on('interactionCreate', (i) => {
      if (i.isChatInputCommand()) void i.reply('from second');
    });
    const ready = new Promise<void>((resolve) => second.once('clientReady', () => resolve()));
    await second.login(TOKEN);
    await ready;
    expect(f.identifies).toBe(2);
    const rec = await f.sendCommand(videoCommand);
    await f.waitFor(() => rec.ackedAt);
    expect(f.messages.get(rec.originalMessageId ?? '')?.content).toBe('from second');
  });

  it('validates payloads like Discord (Invalid Form Body paths and codes)', async () => {
    const f = await startFakeDiscord({
      botToken: TOKEN,
      applicationId: APP,
      guilds: [{ id: GUILD, channels: [CHANNEL] }],
      channelEditLimit: null,
    });
    fake = f;
    const call = async (method: string, path: string, body: unknown): Promise<{ status: number; json: unknown }> => {
      const res = await fetch(`${f.apiUrl}/v10${path}`, {
        method,
        headers: { Authorization: `Bot ${TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: res.status === 204 ? null : await res.json() };
    };
    const post = (body: unknown) => call('POST', `/channels/${CHANNEL}/messages`, body);
    const button = (id: string, extra: Record<string, unknown> = {}) => ({
      type: 2,
      style: 1,
      custom_id: id,
      label: id,
      ...extra,
    });
    const row = (...components: unknown[]) => ({ type: 1, components });
    const field = { name: 'n', value: 'v' };
    const cases: Array<[string, unknown, string, string]> = [
      ['content > 2000', { content: 'x'.repeat(2001) }, 'content', 'BASE_TYPE_MAX_LENGTH'],
      ['> 10 embeds', { embeds: Array.from({ length: 11 }, () => ({ title: 't' })) }, 'embeds', 'BASE_TYPE_MAX_LENGTH'],
      [
        'description > 4096',
        { embeds: [{ description: 'x'.repeat(4097) }] },
        'embeds.0.description',
        'BASE_TYPE_MAX_LENGTH',
      ],
      [
        'embeds > 6000 chars',
        { embeds: [{ description: 'x'.repeat(4000) }, { description: 'x'.repeat(2001) }] },
        'embeds',
        'MAX_EMBED_SIZE_EXCEEDED',
      ],
      [
        '> 25 fields',
        { embeds: [{ fields: Array.from({ length: 26 }, () => field) }] },
        'embeds.0.fields',
        'BASE_TYPE_MAX_LENGTH',
      ],
      [
        'blank field value',
        { embeds: [{ fields: [{ name: 'n', value: ' ' }] }] },
        'embeds.0.fields.0.value',
        'BASE_TYPE_REQUIRED',
      ],
      [
        'field value > 1024',
        { embeds: [{ fields: [{ name: 'n', value: 'x'.repeat(1025) }] }] },
        'embeds.0.fields.0.value',
        'BASE_TYPE_MAX_LENGTH',
      ],
      [
        'footer > 2048',
        { embeds: [{ footer: { text: 'x'.repeat(2049) } }] },
        'embeds.0.footer.text',
        'BASE_TYPE_MAX_LENGTH',
      ],
      [
        '> 5 rows',
        { components: Array.from({ length: 6 }, (_, i) => row(button(`b${i}`))) },
        'components',
        'BASE_TYPE_MAX_LENGTH',
      ],
      [
        '> 5 buttons',
        { components: [row(...Array.from({ length: 6 }, (_, i) => button(`b${i}`)))] },
        'components.0.components',
        'BASE_TYPE_BAD_LENGTH',
      ],
      [
        'custom_id > 100',
        { components: [row(button('x'.repeat(101)))] },
        'components.0.components.0.custom_id',
        'BASE_TYPE_BAD_LENGTH',
      ],
      [
        'duplicate custom_id',
        { components: [row(button('a')), row(button('a'))] },
        'components.1.components.0.custom_id',
        'COMPONENT_CUSTOM_ID_DUPLICATED',
      ],
      [
        'label > 80',
        { components: [row(button('a', { label: 'x'.repeat(81) }))] },
        'components.0.components.0.label',
        'BASE_TYPE_MAX_LENGTH',
      ],
      [
        'link without url',
        { components: [row({ type: 2, style: 5, label: 'go' })] },
        'components.0.components.0.url',
        'BASE_TYPE_REQUIRED',
      ],
      [
        'link with ftp url',
        { components: [row({ type: 2, style: 5, label: 'go', url: 'ftp://x/y' })] },
        'components.0.components.0.url',
        'URL_TYPE_INVALID_SCHEME',
      ],
      [
        'link with custom_id',
        { components: [row({ type: 2, style: 5, label: 'go', url: 'https://x.y', custom_id: 'c' })] },
        'components.0.components.0.custom_id',
        'BUTTON_COMPONENT_LINK_CUSTOM_ID',
      ],
      [
        'button without custom_id',
        { components: [row({ type: 2, style: 1, label: 'go' })] },
        'components.0.components.0.custom_id',
        'BASE_TYPE_REQUIRED',
      ],
    ];
    const errorAt = (json: unknown, path: string): unknown => {
      let node: unknown = (json as { errors?: unknown }).errors;
      for (const k of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[k];
      return (node as { _errors?: Array<{ code: string }> } | undefined)?._errors?.[0]?.code;
    };
    for (const [label, body, path, code] of cases) {
      const r = await post(body);
      expect([label, r.status, (r.json as { code?: number }).code, errorAt(r.json, path)]).toEqual([
        label,
        400,
        50035,
        code,
      ]);
    }
    expect((await post({ content: '   ' })).json).toEqual({ message: 'Cannot send an empty message', code: 50006 });
    const ok = await post({
      content: 'fine',
      components: [row(button('a'), { type: 2, style: 5, label: 'open', url: 'https://example.com' })],
    });
    expect(ok.status).toBe(200);
    const mid = (ok.json as { id: string }).id;
    // An edit is validated like a create.
    const badEdit = await call('PATCH', `/channels/${CHANNEL}/messages/${mid}`, {
      embeds: [{ title: 'x'.repeat(257) }],
    });
    expect(errorAt(badEdit.json, 'embeds.0.title')).toBe('BASE_TYPE_MAX_LENGTH');
    expect((await call('GET', `/channels/${OTHER_CHANNEL}/messages/${mid}`, undefined)).json).toMatchObject({
      code: 10003,
    });

    const cmdCases: Array<[string, unknown, string]> = [
      ['name with space', { name: 'my video', description: 'd' }, '0.name'],
      ['description > 100', { name: 'v', description: 'x'.repeat(101) }, '0.description'],
      [
        '> 25 options',
        {
          name: 'v',
          description: 'd',
          options: Array.from({ length: 26 }, (_, i) => ({ type: 3, name: `o${i}`, description: 'd' })),
        },
        '0.options',
      ],
      [
        '> 25 choices',
        {
          name: 'v',
          description: 'd',
          options: [
            {
              type: 3,
              name: 'o',
              description: 'd',
              choices: Array.from({ length: 26 }, (_, i) => ({ name: `c${i}`, value: `c${i}` })),
            },
          ],
        },
        '0.options.0.choices',
      ],
      [
        'max_length > 6000',
        { name: 'v', description: 'd', options: [{ type: 3, name: 'o', description: 'd', max_length: 6001 }] },
        '0.options.0.max_length',
      ],
    ];
    for (const [label, cmd, path] of cmdCases) {
      const r = await call('PUT', `/applications/${APP}/commands`, [cmd]);
      expect([label, r.status, errorAt(r.json, path) !== undefined]).toEqual([label, 400, true]);
    }
    const good = await call('PUT', `/applications/${APP}/commands`, [VIDEO_COMMAND]);
    expect(good.status).toBe(200);
    expect(f.commands({})).toHaveLength(1);
  });

  it('driver-side changes: deleted message, lost channel access, deleted channel', async () => {
    const { fake: f, client: c } = await setup(null);
    const channel = c.channels.cache.get(CHANNEL) as TextChannel;
    const sent = await channel.send('card');
    f.deleteMessage(sent.id);
    expect(apiCode(await sent.edit('update').catch((e: unknown) => e))).toBe(10008);
    f.denyChannelAccess(CHANNEL);
    expect(apiCode(await channel.send('x').catch((e: unknown) => e))).toBe(50001);
    f.denyChannelAccess(CHANNEL, false);
    await channel.send('back');
    f.deleteChannel(OTHER_CHANNEL);
    await f.waitFor(() => !c.channels.cache.has(OTHER_CHANNEL));
    expect(
      apiCode(
        await c.rest.post(Routes.channelMessages(OTHER_CHANNEL), { body: { content: 'x' } }).catch((e: unknown) => e),
      ),
    ).toBe(10003);
  });

  it('resumes after the gateway drops the connection', async () => {
    const { fake: f, errors } = await setup(async (i) => {
      if (i.isChatInputCommand()) await i.reply('pong');
    });
    f.disconnectBot(4000);
    await f.waitFor(() => !f.connected() || undefined, 2000).catch(() => undefined);
    await f.waitFor(() => f.gatewayLog.some((e) => e.t === 'RESUMED'), 5000);
    await f.waitForReady();
    const rec = await f.sendCommand(videoCommand);
    await f.waitFor(() => rec.ackedAt);
    expect(errors).toEqual([]);
    expect(f.messages.get(rec.originalMessageId ?? '')?.content).toBe('pong');
  });

  it('answers unknown routes 404, a known route with the wrong method 405, and bodies over 30 MiB 413', async () => {
    const { fake: f } = await setup(null);
    const auth = { Authorization: `Bot ${TOKEN}` };
    expect((await fetch(`${f.apiUrl}/v10/nowhere`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${f.apiUrl}/v10/channels/${CHANNEL}/messages`, { method: 'PUT', headers: auth })).status).toBe(
      405,
    );
    const huge = await fetch(`${f.apiUrl}/v10/channels/${CHANNEL}/messages`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ content: 'x'.repeat(31 * 1024 * 1024) }),
    });
    expect(huge.status).toBe(413);
    expect(f.messagesIn(CHANNEL)).toEqual([]);
  });
});
