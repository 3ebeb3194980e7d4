/**
 * The Discord port's routing, against a scripted REST stub: GIVEN what Discord answers,
 * THEN which route is tried next, which handle is returned, and which core error is thrown.
 */
import { DiscordAPIError, RateLimitError, type RequestData, type RouteLike } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/log.js';
import { DiscordCardHandle } from '../src/platforms/discord/handles.js';
import { DiscordPort, type PortRest } from '../src/platforms/discord/port.js';
import { ZodError } from 'zod';
import { CardGoneError, CardHandleError, PortRateLimitError } from '../src/port.js';
import { Metrics } from '../src/metrics.js';
import { Outboxes } from '../src/outbox/outboxes.js';
import type { CardView } from '../src/render/view.js';

const APP = '1058897343283335169';
const scope = {
  platform: 'discord' as const,
  guildId: '1070131367116935170',
  channelId: '1070493754982535172',
  userId: '1',
  userName: 'alice',
};

const view: CardView = {
  taskId: 'kb0000000001',
  kind: 'text2video',
  state: 'processing',
  tone: 'active',
  title: '🎬 Text to video',
  statusLine: 'Processing · 40% (estimate)',
  progress: { percent: 40, estimated: true, bar: '▰▰▰▰▱▱▱▱▱▱' },
  prompt: 'a fox',
  fields: [{ label: 'Task', value: 'kb0000000001' }],
  requester: { id: '1', name: 'alice' },
  startedAt: 1_700_000_000_000,
  media: [],
  buttons: [{ action: 'refresh', label: 'Refresh', style: 'secondary' }],
  fallbackText: 'a fox',
};

const apiError = (status: number, code: number, message: string) =>
  new DiscordAPIError({ code, message }, code, status, 'PATCH', `https://discord.test/api/v10/x`, {
    body: undefined,
    files: undefined,
  });

const rateLimit = (retryAfter: number, timeToReset = retryAfter, global = false) =>
  new RateLimitError({
    global,
    method: 'PATCH',
    url: 'x',
    route: '/webhooks/:id',
    majorParameter: 'x',
    hash: 'h',
    limit: 5,
    timeToReset,
    retryAfter,
    sublimitTimeout: 0,
    scope: 'user',
  });

type Call = { method: string; route: string; options: RequestData | undefined };
type Answer = unknown | Error;

/** Answers each call with the next scripted answer for its method + route prefix. */
class ScriptedRest implements PortRest {
  readonly calls: Call[] = [];
  constructor(private readonly script: Array<{ method: string; route: RegExp; answer: Answer }>) {}
  private async answer(method: string, route: RouteLike, options?: RequestData): Promise<unknown> {
    this.calls.push({ method, route, options });
    const i = this.script.findIndex((s) => s.method === method && s.route.test(route));
    if (i < 0) throw new Error(`unscripted ${method} ${route}`);
    const [step] = this.script.splice(i, 1);
    if (step?.answer instanceof Error) throw step.answer;
    return step?.answer;
  }
  get = (route: RouteLike, options?: RequestData) => this.answer('GET', route, options);
  patch = (route: RouteLike, options?: RequestData) => this.answer('PATCH', route, options);
  post = (route: RouteLike, options?: RequestData) => this.answer('POST', route, options);
  delete = (route: RouteLike, options?: RequestData) => this.answer('DELETE', route, options);
}

const NOW = 1_000_000;
const webhookHandle = (over: Partial<DiscordCardHandle> = {}): DiscordCardHandle => ({
  applicationId: APP,
  guildId: scope.guildId,
  channelId: scope.channelId,
  messageId: '1575471547668369500',
  route: 'webhook',
  token: 'interaction-token-1',
  tokenExpiresAt: NOW + 60_000,
  target: '@original',
  ...over,
});
const portWith = (rest: ScriptedRest) =>
  new DiscordPort({ rest, applicationId: APP, log: silentLogger, now: () => NOW });

describe('DiscordPort.editCard', () => {
  it('GIVEN a live token THEN edits @original through the webhook, without the bot token, and keeps the handle', async () => {
    const rest = new ScriptedRest([{ method: 'PATCH', route: /^\/webhooks\//, answer: {} }]);
    expect((await portWith(rest).edit(webhookHandle(), view, scope)).value).toBeUndefined();
    expect(rest.calls).toHaveLength(1);
    expect(decodeURIComponent(rest.calls[0]?.route ?? '')).toBe(
      `/webhooks/${APP}/interaction-token-1/messages/@original`,
    );
    expect(rest.calls[0]?.options?.auth).toBe(false);
    expect(rest.calls[0]?.options?.body).toMatchObject({ allowed_mentions: { parse: [] } });
  });

  it('GIVEN a card made before V2 (no v2 on its handle) THEN it keeps its old form; a V2 card is edited as V2, also after it moved', async () => {
    const rest = new ScriptedRest([
      { method: 'PATCH', route: /^\/webhooks\//, answer: {} },
      { method: 'PATCH', route: /^\/webhooks\//, answer: apiError(401, 50027, 'Invalid Webhook Token') },
      { method: 'PATCH', route: /^\/channels\//, answer: {} },
    ]);
    const port = portWith(rest);
    await port.edit(webhookHandle(), view, scope);
    const old = rest.calls[0]?.options?.body as { flags?: number; embeds?: unknown[] };
    expect(old.flags).toBeUndefined();
    expect(old.embeds).toHaveLength(1);
    const moved = await port.edit(webhookHandle({ v2: true, token: 'interaction-token-2' }), view, scope);
    expect(DiscordCardHandle.parse(moved.value)).toMatchObject({ route: 'channel', v2: true });
    for (const call of rest.calls.slice(1)) {
      const body = call.options?.body as { flags?: number; content?: string; embeds?: unknown };
      expect(body.flags).toBe(1 << 15);
      expect(body.content).toBeUndefined();
      expect(body.embeds).toBeUndefined();
    }
  });

  it('GIVEN 50027 THEN moves to the channel route, returns the new handle and never uses that token again', async () => {
    const rest = new ScriptedRest([
      { method: 'PATCH', route: /^\/webhooks\//, answer: apiError(401, 50027, 'Invalid Webhook Token') },
      { method: 'PATCH', route: /^\/channels\//, answer: {} },
      { method: 'PATCH', route: /^\/channels\//, answer: {} },
    ]);
    const port = portWith(rest);
    const moved = DiscordCardHandle.parse((await port.edit(webhookHandle(), view, scope)).value);
    expect(moved).toMatchObject({ route: 'channel', messageId: '1575471547668369500' });
    expect(moved.token).toBeUndefined();
    // Even given the old handle again (the tracker had not saved the new one yet), the token stays retired.
    await port.edit(webhookHandle(), view, scope);
    expect(rest.calls.map((c) => `${c.method} ${c.route.split('/')[1]}`)).toEqual([
      'PATCH webhooks',
      'PATCH channels',
      'PATCH channels',
    ]);
  });

  it('GIVEN an expired token THEN goes straight to the channel route', async () => {
    const rest = new ScriptedRest([{ method: 'PATCH', route: /^\/channels\//, answer: {} }]);
    const moved = await portWith(rest).edit(webhookHandle({ tokenExpiresAt: NOW - 1 }), view, scope);
    expect(DiscordCardHandle.parse(moved.value).route).toBe('channel');
    expect(rest.calls).toHaveLength(1);
  });

  it('GIVEN a channel handle THEN edits it and returns nothing new', async () => {
    const rest = new ScriptedRest([{ method: 'PATCH', route: /^\/channels\//, answer: {} }]);
    expect(
      (await portWith(rest).edit(webhookHandle({ route: 'channel', token: undefined }), view, scope)).value,
    ).toBeUndefined();
  });

  it('GIVEN 50001 on the channel route THEN posts the view as a reply to the card; a reply gets no reply of its own', async () => {
    const rest = new ScriptedRest([
      { method: 'PATCH', route: /^\/channels\//, answer: apiError(403, 50001, 'Missing Access') },
      { method: 'POST', route: /^\/channels\/\d+\/messages$/, answer: { id: '1575471547668369999' } },
    ]);
    const port = portWith(rest);
    const reply = DiscordCardHandle.parse(
      (await port.edit(webhookHandle({ route: 'channel', token: undefined }), view, scope)).value,
    );
    expect(reply).toMatchObject({ route: 'channel', messageId: '1575471547668369999', replyTo: '1575471547668369500' });
    expect(rest.calls[1]?.options?.body).toMatchObject({
      message_reference: { message_id: '1575471547668369500', fail_if_not_exists: false },
    });

    const again = new ScriptedRest([
      { method: 'PATCH', route: /^\/channels\//, answer: apiError(403, 50001, 'Missing Access') },
    ]);
    await expect(portWith(again).edit(reply, view, scope)).rejects.toBeInstanceOf(DiscordAPIError);
    expect(again.calls).toHaveLength(1);
  });

  it('GIVEN 10008 or 10003 THEN the card is gone', async () => {
    for (const [status, code] of [
      [404, 10008],
      [404, 10003],
    ] as const) {
      const rest = new ScriptedRest([
        { method: 'PATCH', route: /^\/webhooks\//, answer: apiError(status, code, 'Unknown') },
      ]);
      await expect(portWith(rest).edit(webhookHandle(), view, scope)).rejects.toBeInstanceOf(CardGoneError);
    }
  });

  it('GIVEN a rate limit THEN throws PortRateLimitError with the precise Reset-After (Retry-After is whole seconds), else Retry-After', async () => {
    const waitOf = async (answer: Error) => {
      const rest = new ScriptedRest([{ method: 'PATCH', route: /^\/webhooks\//, answer }]);
      const err = await portWith(rest)
        .edit(webhookHandle(), view, scope)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PortRateLimitError);
      expect(rest.calls).toHaveLength(1);
      return err instanceof PortRateLimitError ? err.retryAfterMs : undefined;
    };
    expect(await waitOf(rateLimit(1000, 740))).toBe(740);
    expect(await waitOf(rateLimit(1000, 0))).toBe(1000);
    // Retry-After far beyond the bucket's reset (another scope is limited): Retry-After wins.
    expect(await waitOf(rateLimit(5000, 740))).toBe(5000);
  });

  it('GIVEN the bot-wide (global) limit holds a write THEN the channel waits it out without taking it for its own budget', async () => {
    const rest = new ScriptedRest([{ method: 'PATCH', route: /^\/webhooks\//, answer: rateLimit(300, 300, true) }]);
    const err = await portWith(rest)
      .edit(webhookHandle(), view, scope)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortRateLimitError);
    expect(err instanceof PortRateLimitError ? [err.retryAfterMs, err.rate] : undefined).toEqual([300, undefined]);
  });

  it('GIVEN a 5xx THEN rethrows it (the tracker backs off) and keeps the token', async () => {
    const rest = new ScriptedRest([
      { method: 'PATCH', route: /^\/webhooks\//, answer: apiError(500, 0, 'Internal Server Error') },
      { method: 'PATCH', route: /^\/webhooks\//, answer: {} },
    ]);
    const port = portWith(rest);
    await expect(port.edit(webhookHandle(), view, scope)).rejects.toBeInstanceOf(DiscordAPIError);
    expect((await port.edit(webhookHandle(), view, scope)).value).toBeUndefined();
  });

  it('refuses a handle that is not a Discord card handle, before any request, with a typed error that is not retried', async () => {
    const rest = new ScriptedRest([]);
    // Not the stub's "unscripted" error: the handle's own parse refuses it, and Discord is never called.
    const refused = await portWith(rest)
      .edit({ card: 3 }, view, scope)
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(refused).toBeInstanceOf(CardHandleError);
    expect(refused).toBeInstanceOf(CardGoneError);
    expect(refused).toMatchObject({ code: 'bad_card_handle', cause: expect.any(ZodError) });
    expect(rest.calls).toEqual([]);
  });

  it('GIVEN a stored handle that is not a Discord card handle THEN the outbox tries the edit once and counts the card gone (no retries)', async () => {
    const rest = new ScriptedRest([]);
    const port = portWith(rest);
    const tries: unknown[] = [];
    const edit = port.edit.bind(port);
    port.edit = (...args) => (tries.push(args[0]), edit(...args));
    const gone: string[] = [];
    const outboxes = new Outboxes({
      log: silentLogger,
      metrics: new Metrics(),
      now: Date.now,
      onPosted: async () => undefined,
      onShown: () => undefined,
      onGone: (taskId) => void gone.push(taskId),
    });
    outboxes.addPort(port);
    const outbox = outboxes.for(scope);
    outbox?.attach(view.taskId, scope, { card: 3 });
    outbox?.offer(view.taskId, { ...view, state: 'succeed', tone: 'success' });
    await outbox?.drain(5000);
    expect(gone).toEqual([view.taskId]);
    expect(tries).toEqual([{ card: 3 }]);
    expect(rest.calls).toEqual([]);
    outboxes.stop();
  });
});

describe('DiscordPort.postCard and deleteCard', () => {
  it('GIVEN the crash lost a handle THEN finds the card among recent messages by its button and edits it', async () => {
    const rest = new ScriptedRest([
      {
        method: 'GET',
        route: /^\/channels\/\d+\/messages$/,
        answer: [
          {
            id: '11',
            author: { id: '999' },
            components: [{ type: 1, components: [{ type: 2, custom_id: 'kb:r:kb0000000001' }] }],
          },
          {
            id: '12',
            author: { id: APP },
            application_id: APP,
            components: [{ type: 1, components: [{ type: 2, custom_id: 'kb:r:kb0000000001' }] }],
          },
        ],
      },
      { method: 'PATCH', route: /^\/channels\/\d+\/messages\/12$/, answer: {} },
    ]);
    const handle = DiscordCardHandle.parse((await portWith(rest).post(scope, view)).value);
    expect(handle).toMatchObject({ route: 'channel', messageId: '12', channelId: scope.channelId });
  });

  it('GIVEN no such card THEN posts a new one', async () => {
    const rest = new ScriptedRest([
      { method: 'GET', route: /^\/channels\/\d+\/messages$/, answer: [] },
      { method: 'POST', route: /^\/channels\/\d+\/messages$/, answer: { id: '77' } },
    ]);
    expect(DiscordCardHandle.parse((await portWith(rest).post(scope, view)).value).messageId).toBe('77');
  });

  it('GIVEN the search is rate limited THEN PortRateLimitError, and no duplicate card is posted', async () => {
    const rest = new ScriptedRest([{ method: 'GET', route: /^\/channels\/\d+\/messages$/, answer: rateLimit(2000) }]);
    await expect(portWith(rest).post(scope, view)).rejects.toBeInstanceOf(PortRateLimitError);
    expect(rest.calls).toHaveLength(1);
  });

  it('deletes through the webhook while the token lives, else the channel; already gone is fine', async () => {
    const rest = new ScriptedRest([
      { method: 'DELETE', route: /^\/webhooks\//, answer: undefined },
      { method: 'DELETE', route: /^\/channels\//, answer: apiError(404, 10008, 'Unknown Message') },
    ]);
    const port = portWith(rest);
    await port.delete(webhookHandle(), scope);
    await port.delete(webhookHandle({ tokenExpiresAt: NOW - 1 }), scope);
    expect(rest.calls.map((c) => c.route.split('/')[1])).toEqual(['webhooks', 'channels']);
  });
});

describe('DiscordPort: refused tokens are remembered only while they could live', () => {
  it('forgets a refused token once it would have expired anyway, so the set does not grow for ever', () => {
    let now = NOW;
    const port = new DiscordPort({ rest: new ScriptedRest([]), applicationId: APP, log: silentLogger, now: () => now });
    for (let i = 0; i < 100; i++) port.retireToken(`dead-${i}`);
    expect(port.deadTokenCount()).toBe(100);
    now += 15 * 60_000 + 1;
    port.retireToken('dead-new');
    expect(port.deadTokenCount()).toBe(1);
  });
});
