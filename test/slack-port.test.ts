import { afterEach, describe, expect, it } from 'vitest';
import type { CardHandle, TaskRecord, TaskScope } from '../src/domain.js';
import { RatePacer } from '../src/outbox/pacer.js';
import { silentLogger } from '../src/log.js';
import { boltLogger } from '../src/platforms/slack/logger.js';
import { CardPostError, SlackPort } from '../src/platforms/slack/port.js';
import { SlackTokenError, SlackWorkspaces } from '../src/platforms/slack/workspaces.js';
import { CardGoneError, PortRateLimitError, type Written } from '../src/port.js';
import { renderCard } from '../src/render/card.js';
import { blockTexts, type FakeSlack } from './fakes/slack/index.js';
import { SECRETS, startFake } from './helpers/slack-harness.js';

/** The Slack port alone against the fake Slack Web API: what the tracker sees for each Slack answer. */

const TEAM = 'T0ACME';
const C1 = 'C0GENERAL';
const LOCKED = 'C0PRIVATE';
const scope: TaskScope = { platform: 'slack', guildId: TEAM, channelId: C1, userId: 'U0ALICE', userName: 'alice' };
const NOW = Date.now();

const rec = (state: TaskRecord['state']): TaskRecord => ({
  id: 'kb0a1b2c3d4e5f',
  scope,
  request: {
    kind: 'text2video',
    prompt: 'a tiny robot watering plants',
    model: 'kling-v2-1-master',
    mode: 'std',
    duration: '5',
    aspect_ratio: '16:9',
  },
  state,
  createdAt: NOW - 10_000,
  updatedAt: NOW,
  ...(state === 'succeed'
    ? {
        finishedAt: NOW,
        result: { videos: [{ id: 'v', url: 'https://cdn.example.com/v.mp4', duration: '5.1' }], images: [] },
      }
    : {}),
});

let fake: FakeSlack;
afterEach(async () => {
  await fake.close();
});

async function port(extra: Parameters<typeof startFake>[1] = {}) {
  fake = await startFake([{ id: TEAM, channels: [C1, LOCKED] }], { notInChannel: [LOCKED], ...extra });
  const workspaces = new SlackWorkspaces({
    botToken: SECRETS.botToken,
    apiUrl: fake.apiUrl,
    logger: boltLogger(silentLogger),
  });
  return new SlackPort(workspaces, silentLogger);
}

describe('SlackPort', () => {
  it('posts with chat.postMessage and edits the same message with chat.update', async () => {
    const p = await port();
    const handle = (await p.post(scope, renderCard(rec('submitted'), { now: NOW }))).value;
    expect(handle).toEqual({ channel: C1, ts: expect.stringMatching(/^\d+\.\d+$/) });
    expect((await p.edit(handle, renderCard(rec('succeed'), { now: NOW }), scope)).value).toBeUndefined();
    const [message] = fake.messagesIn(C1);
    expect(message?.edits).toHaveLength(1);
    expect(blockTexts(message?.blocks).join('\n')).toContain('https://cdn.example.com/v.mp4');
  });

  it('a 429 becomes PortRateLimitError with Retry-After, at once (no waiting inside the client)', async () => {
    const p = await port();
    const handle = (await p.post(scope, renderCard(rec('submitted'), { now: NOW }))).value;
    // A client that waited the 30 s out would answer after them, and with the retry's success.
    fake.rateLimit('chat.update', { times: 1, retryAfterSec: 30 });
    const t0 = Date.now();
    const err = await p.edit(handle, renderCard(rec('processing'), { now: NOW }), scope).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortRateLimitError);
    expect((err as PortRateLimitError).retryAfterMs).toBe(30_000);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(fake.calls.filter((c) => c.method === 'chat.update')).toHaveLength(1);
  });

  it('a deleted message, or a handle that is not Slack’s, is CardGoneError; deleting twice is fine', async () => {
    const p = await port();
    const handle = (await p.post(scope, renderCard(rec('succeed'), { now: NOW }))).value;
    await p.delete(handle, scope);
    expect(fake.messagesIn(C1)).toHaveLength(0);
    await p.delete(handle, scope);
    await expect(p.edit(handle, renderCard(rec('succeed'), { now: NOW }), scope)).rejects.toBeInstanceOf(CardGoneError);
    await expect(
      p.edit({ messageId: '1', token: 'x' }, renderCard(rec('succeed'), { now: NOW }), scope),
    ).rejects.toBeInstanceOf(CardGoneError);
  });

  it('a channel the bot is not in: posting throws CardPostError(not_in_channel)', async () => {
    const p = await port();
    const err = await p
      .post({ ...scope, channelId: LOCKED }, renderCard(rec('pending'), { now: NOW }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CardPostError);
    expect((err as CardPostError).reason).toBe('not_in_channel');
  });

  it('posts keep Slack’s one-message-per-second channel pace (held without calling Slack); a 429 on a post is thrown with Retry-After, not waited out', async () => {
    let now = 1_000_000;
    fake = await startFake([{ id: TEAM, channels: [C1] }]);
    const workspaces = new SlackWorkspaces({
      botToken: SECRETS.botToken,
      apiUrl: fake.apiUrl,
      logger: boltLogger(silentLogger),
    });
    const p = new SlackPort(workspaces, silentLogger, { now: () => now });
    await p.post(scope, renderCard(rec('pending'), { now: NOW }));
    const held = await p.post(scope, renderCard(rec('pending'), { now: NOW })).catch((e: unknown) => e);
    expect(held instanceof PortRateLimitError && { source: held.source, retryAfterMs: held.retryAfterMs }).toEqual({
      source: 'budget',
      retryAfterMs: 1000,
    });
    expect(fake.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(1);
    now += 1000;
    fake.rateLimit('chat.postMessage', { times: 1, retryAfterSec: 30 });
    const t0 = Date.now();
    const err = await p.post(scope, renderCard(rec('pending'), { now: NOW })).catch((e: unknown) => e);
    expect(err instanceof PortRateLimitError && err.source === 'platform' && err.retryAfterMs).toBe(30_000);
    // Not waited out (that would take the 30 s) and not retried.
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(fake.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(2);
  });

  it('the post pace does not hold chat.update: cards finishing together in one channel go at once, up to the channel window (fake clock)', async () => {
    let now = 1_000_000;
    const CARDS = 22;
    // The fake's own limits run on real time; this test's clock is the port's, which enforces them.
    fake = await startFake([{ id: TEAM, channels: [C1] }], { channelLimit: null, postMessageLimit: null });
    const workspaces = new SlackWorkspaces({
      botToken: SECRETS.botToken,
      apiUrl: fake.apiUrl,
      logger: boltLogger(silentLogger),
    });
    const p = new SlackPort(workspaces, silentLogger, { now: () => now });
    // What the channel's outbox does around every write: ask the pacer, spend, learn the answer.
    const pacer = new RatePacer(p.initialRate, () => now);
    const write = async <T>(w: () => Promise<Written<T>>): Promise<T | PortRateLimitError> => {
      expect(pacer.waitMs()).toBe(0);
      pacer.spend();
      try {
        const written = await w();
        pacer.learn(written.rate);
        return written.value;
      } catch (err) {
        if (!(err instanceof PortRateLimitError)) throw err;
        pacer.pause(err.retryAfterMs, err.rate);
        return err;
      } finally {
        pacer.settled();
      }
    };
    const handles: CardHandle[] = [];
    for (let i = 0; i < CARDS; i++) {
      const h = await write(() => p.post(scope, renderCard(rec('processing'), { now: NOW })));
      if (h instanceof PortRateLimitError) throw h;
      handles.push(h);
      now += 1100;
    }
    now += 11_000;
    const finishedAt = now;
    // All finish at the same instant: 20 results go at once (the channel window), none waits for the post pace.
    const final = renderCard(rec('succeed'), { now: NOW });
    const shown: number[] = [];
    for (const h of handles.slice(0, 20)) {
      const r = await write(() => p.edit(h, final, scope));
      expect(r).not.toBeInstanceOf(PortRateLimitError);
      shown.push(now);
    }
    expect(new Set(shown)).toEqual(new Set([finishedAt]));
    const held = await write(() => p.edit(handles[20] ?? {}, final, scope));
    expect(held instanceof PortRateLimitError && held.source).toBe('budget');
    expect(fake.calls.filter((c) => c.method === 'chat.update')).toHaveLength(20);
    expect(fake.rateLimits).toHaveLength(0);
  });

  it('a bad bot token stops start-up with a clear error that does not contain the token', async () => {
    fake = await startFake([{ id: TEAM, channels: [C1] }]);
    const workspaces = new SlackWorkspaces({
      botToken: 'xoxb-wrong-token-value-123',
      apiUrl: fake.apiUrl,
      logger: boltLogger(silentLogger),
    });
    const err = await workspaces.identity().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlackTokenError);
    expect(String(err)).toContain('invalid_auth');
    expect(String(err)).not.toContain('xoxb-wrong-token-value-123');
  });

  describe('the workspace chat.update budget', () => {
    const C2 = 'C0RANDOM';
    const ELSEWHERE = 'C0ELSEWHERE';
    const scope2: TaskScope = { ...scope, channelId: C2 };
    const other: TaskScope = { ...scope, guildId: 'T0OTHER', channelId: ELSEWHERE };
    let now = 1_000_000;

    async function budgeted() {
      fake = await startFake([
        { id: TEAM, channels: [C1, C2] },
        { id: 'T0OTHER', channels: [ELSEWHERE] },
      ]);
      const workspaces = new SlackWorkspaces({
        botToken: SECRETS.botToken,
        apiUrl: fake.apiUrl,
        logger: boltLogger(silentLogger),
      });
      const p = new SlackPort(workspaces, silentLogger, {
        workspaceBudget: { capacity: 3, refillPerSec: 1 },
        now: () => now,
      });
      const cards = await Promise.all(
        [scope, scope2, other].map((s) => p.post(s, renderCard(rec('submitted'), { now: NOW })).then((w) => w.value)),
      );
      return { p, cards };
    }
    const updates = () => fake.calls.filter((c) => c.method === 'chat.update').length;
    const held = (e: unknown) =>
      e instanceof PortRateLimitError ? { source: e.source, retryAfterMs: e.retryAfterMs } : e;

    it('is shared by the channels of a workspace, keeps its last tokens for finished cards, and refills', async () => {
      const { p, cards } = await budgeted();
      const [h1, h2, h3] = cards;
      const progress = renderCard(rec('processing'), { now: NOW });
      const final = renderCard(rec('succeed'), { now: NOW });
      await p.edit(h1 ?? {}, progress, scope);
      // Two tokens left, both kept for results: progress in the other channel waits, without calling Slack.
      expect(held(await p.edit(h2 ?? {}, progress, scope2).catch((e: unknown) => e))).toEqual({
        source: 'budget',
        retryAfterMs: 1000,
      });
      await p.edit(h2 ?? {}, final, scope2);
      await p.edit(h1 ?? {}, final, scope);
      expect(held(await p.edit(h1 ?? {}, final, scope).catch((e: unknown) => e))).toEqual({
        source: 'budget',
        retryAfterMs: 1000,
      });
      // Another workspace has its own budget.
      await p.edit(h3 ?? {}, progress, other);
      expect(updates()).toBe(4);
      now += 3000;
      await p.edit(h2 ?? {}, progress, scope2);
      expect(updates()).toBe(5);
    });

    it('a 429 in one channel holds chat.update back in every channel of the workspace for Retry-After', async () => {
      const { p, cards } = await budgeted();
      const [h1, h2, h3] = cards;
      const progress = renderCard(rec('processing'), { now: NOW });
      fake.rateLimit('chat.update', { times: 1, retryAfterSec: 7, channel: C1 });
      expect(held(await p.edit(h1 ?? {}, progress, scope).catch((e: unknown) => e))).toEqual({
        source: 'platform',
        retryAfterMs: 7000,
      });
      expect(
        held(await p.edit(h2 ?? {}, renderCard(rec('succeed'), { now: NOW }), scope2).catch((e: unknown) => e)),
      ).toEqual({ source: 'budget', retryAfterMs: 7000 });
      await p.edit(h3 ?? {}, progress, other);
      expect(updates()).toBe(2);
      now += 7000;
      await p.edit(h2 ?? {}, renderCard(rec('succeed'), { now: NOW }), scope2);
      expect(updates()).toBe(3);
    });
  });
});
