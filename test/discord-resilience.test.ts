/**
 * Cards that outlive their interaction token, and channels that answer 429: every card still
 * reaches its final state, through the routes Discord allows, waiting as long as it is told.
 */
import { describe, expect, it } from 'vitest';
import { maxAttemptsPerWindow, unforced429s, type FakeDiscord, type InteractionRecord } from './fakes/discord/index.js';
import {
  ALICE,
  CH_A1,
  CH_A2,
  cardIsFinal,
  cardOf,
  carol,
  discordRigPerTest,
  expectNoSecrets,
  latestCard,
  taskIdOf,
  video,
} from './helpers/discord-harness.js';

const setup = discordRigPerTest();

const TOKEN_LIFETIME_MS = 1500;
/** Longer than the token lives, so the last edits must find another way. */
const SLOW_SIM = { submittedMs: 300, processingMs: 2500 };

/** Refused uses of one interaction token: Discord bans repeat offenders, so at most one each. */
const refusedTokenUses = (f: FakeDiscord, rec: InteractionRecord) =>
  f.requests.filter(
    (r) =>
      r.path.startsWith('/webhooks/') &&
      r.path.includes(`/${rec.token}`) &&
      (r.status === 401 || (r.status === 404 && JSON.stringify(r.response).includes('10015'))),
  ).length;

describe('Discord: cards that outlive the interaction token', () => {
  it('on a 50027 answer the card moves to the bot-token channel route and still ends final', async () => {
    const {
      s,
      f,
      b: bot,
    } = await setup({
      sim: SLOW_SIM,
      fake: { tokenLifetimeMs: TOKEN_LIFETIME_MS, channelEditLimit: null },
    });
    const recs = [
      await f.sendCommand(video(CH_A1, ALICE, 'slow one')),
      await f.sendCommand(video(CH_A2, carol(1), 'slow two')),
    ];
    await f.waitFor(() => recs.every((r) => cardIsFinal(s, cardOf(f, r))), 15_000);
    for (const rec of recs) {
      const card = cardOf(f, rec);
      const trail = JSON.stringify(card?.edits.map((e) => [e.at - rec.dispatchedAt, e.via]));
      expect(card?.edits.at(-1)?.via, trail).toBe('channel');
      expect(refusedTokenUses(f, rec), trail).toBe(1);
      // The moved handle is persisted (just after the edit), so even a restart won't try the dead token again.
      const store = bot.core.store;
      const id = taskIdOf(card) ?? '';
      await expect.poll(async () => (await store.get(id))?.card?.['route'], { timeout: 2000 }).toBe('channel');
      expect((await store.get(id))?.card?.['token']).toBeUndefined();
    }
    expectNoSecrets(f, bot.logs);
  });

  it('with the adapter told the token lifetime, it switches before expiry and never sends a dead token', async () => {
    // Kling's clock moves when the test says: progress while the token lives, the end after it died.
    let skewMs = 0;
    const LIFETIME_MS = 4000;
    const { s, f } = await setup({
      sim: { submittedMs: 600_000, processingMs: 600_000 },
      simExtra: { now: () => Date.now() + skewMs },
      fake: { tokenLifetimeMs: LIFETIME_MS, channelEditLimit: null },
      adapter: { tokenLifetimeMs: LIFETIME_MS, tokenMarginMs: 400 },
    });
    const recs = [
      await f.sendCommand(video(CH_A1, ALICE, 'slow three')),
      await f.sendCommand(video(CH_A1, carol(2), 'slow four')),
    ];
    const processingViaToken = (rec: InteractionRecord) =>
      cardOf(f, rec)?.edits.some((e) => e.via === 'webhook' && JSON.stringify(e.body).includes('Processing')) === true;
    // Both made at Kling (a card shows its task id before that) before its clock moves on.
    await f.waitFor(() => recs.every((r) => s.task(taskIdOf(cardOf(f, r)) ?? '') !== undefined), 10_000);
    skewMs = 600_000;
    await f.waitFor(() => recs.every(processingViaToken), 10_000);
    // Discord's clock: both tokens dead; only then does Kling finish.
    await f.waitFor(() => recs.every((r) => Date.now() > r.dispatchedAt + LIFETIME_MS), 10_000);
    skewMs = 1_200_000;
    await f.waitFor(() => recs.every((r) => cardIsFinal(s, cardOf(f, r))), 15_000);
    for (const rec of recs) {
      const card = cardOf(f, rec);
      const trail = JSON.stringify(card?.edits.map((e) => [e.at - rec.dispatchedAt, e.via]));
      // The token was used while it lived — for progress too, not only the card's opening — and not within
      // the margin of its end; then the channel route took over for good.
      const viaToken = card?.edits.filter((e) => e.via === 'webhook') ?? [];
      for (const e of viaToken) expect(e.at - rec.dispatchedAt, trail).toBeLessThan(LIFETIME_MS - 200);
      const firstChannel = card?.edits.findIndex((e) => e.via === 'channel') ?? -1;
      expect(firstChannel, trail).toBeGreaterThan(0);
      expect(
        card?.edits.slice(firstChannel).every((e) => e.via === 'channel'),
        trail,
      ).toBe(true);
      expect(refusedTokenUses(f, rec)).toBe(0);
    }
  });

  it('a channel the bot lost access to delays the final edit instead of losing it', async () => {
    const { s, f } = await setup({
      sim: SLOW_SIM,
      fake: { tokenLifetimeMs: TOKEN_LIFETIME_MS, channelEditLimit: null },
    });
    const rec = await f.sendCommand(video(CH_A1, ALICE, 'edit me if you can'));
    await f.waitFor(() => taskIdOf(cardOf(f, rec)), 5000);
    // Webhook edits don't need channel access; once the token dies, the bot-token routes answer 50001.
    f.denyChannelAccess(CH_A1);
    await f.waitFor(
      () => f.requests.some((r) => r.status === 403 && r.path.startsWith(`/channels/${CH_A1}/messages`)),
      10_000,
    );
    expect(cardIsFinal(s, cardOf(f, rec))).toBe(false);
    f.denyChannelAccess(CH_A1, false);
    // Depending on when access returns, the card itself is edited or a reply to it is posted.
    await f.waitFor(() => cardIsFinal(s, latestCard(f, rec)), 15_000);
    expect(refusedTokenUses(f, rec)).toBe(1);
  });
});

describe('Discord: per-channel 429s', () => {
  it('every card completes and every Retry-After was honoured', async () => {
    const { s, f, b: bot } = await setup({ sim: { submittedMs: 200, processingMs: 1200 } });
    const recs: InteractionRecord[] = [];
    for (let i = 0; i < 4; i++) recs.push(await f.sendCommand(video(CH_A1, carol(i), `rate limited ${i}`)));
    await f.waitFor(() => recs.every((r) => taskIdOf(cardOf(f, r))), 10_000);
    f.rateLimitChannel(CH_A1, { times: 3, retryAfterMs: 700 });
    await f.waitFor(() => recs.every((r) => cardIsFinal(s, cardOf(f, r))), 30_000);

    const forced = f.rateLimits.filter((r) => r.forced);
    expect(forced).toHaveLength(3);
    // A 429 a library waited out is still a 429: at the realistic limit the bot causes none (none while a
    // forced Retry-After runs, none from a full window), and never tries more writes than a window allows.
    expect(unforced429s(f).map((r) => `${r.cause} ${r.route} at ${r.at}`)).toEqual([]);
    expect(maxAttemptsPerWindow(f, CH_A1)).toBeLessThanOrEqual(5);
    for (const r of recs) expect(s.createsFor(taskIdOf(cardOf(f, r)) ?? '')).toBe(1);
    expect(bot.logs.join('')).toContain('channel writes paused by platform rate limit');
    expectNoSecrets(f, bot.logs);
  });
});

describe('Discord: the bot running twice on one token', () => {
  it('both processes get every interaction; the one whose acknowledgement lands runs it, the other stays silent', async () => {
    // Two processes on one token: both get every interaction.
    const { s, f, bots } = await setup({ fake: { channelEditLimit: { requests: 50, windowMs: 1000 } }, replicas: 2 });
    const recs: InteractionRecord[] = [];
    for (let i = 0; i < 6; i++) recs.push(await f.sendCommand(video(i % 2 ? CH_A1 : CH_A2, carol(i), `twice ${i}`)));
    await f.waitFor(() => recs.every((r) => cardIsFinal(s, cardOf(f, r))), 20_000);
    // Each interaction: one accepted acknowledgement, the other refused with 40060 and then left alone.
    for (const r of recs) {
      expect(r.responses.filter((x) => x.kind === 'callback').map((x) => x.errorCode ?? x.status)).toEqual(
        expect.arrayContaining([204, 40060]),
      );
      expect(r.responses.filter((x) => x.kind === 'callback')).toHaveLength(2);
      expect(r.responses.filter((x) => x.kind === 'followup')).toEqual([]);
      expect(s.createsFor(taskIdOf(cardOf(f, r)) ?? '')).toBe(1);
    }
    expect(s.stats.creates).toBe(recs.length);
    expect(f.messagesIn(CH_A1).filter((m) => !m.deleted && m.components.length > 0)).toHaveLength(3);
    expect(f.messagesIn(CH_A2).filter((m) => !m.deleted && m.components.length > 0)).toHaveLength(3);

    // A refusal (bad input) is answered once, privately, and the other process says nothing.
    const bad = await f.sendCommand(video(CH_A1, carol(9), 'a fox --ar 4:3'));
    await f.waitFor(() => bad.responses.filter((x) => x.kind === 'callback').length === 2, 5000);
    const callbacks = bad.responses.filter((x) => x.kind === 'callback');
    expect(callbacks.filter((x) => x.ok)).toHaveLength(1);
    expect(callbacks.filter((x) => x.errorCode === 40060)).toHaveLength(1);
    expect(bad.ephemeral).toBe(true);
    expect(bad.responses.filter((x) => x.kind === 'followup')).toEqual([]);
    expect(s.stats.creates).toBe(recs.length);

    const logs = await f.waitFor(() => {
      const text = bots.flatMap((b) => b.logs).join('');
      // The card is the acknowledgement now, so the loser learns it inside the command: one line says so.
      return text.includes('interaction closed before it could be answered') && text;
    }, 5000);
    expect(logs).not.toContain('discord interaction failed');
    expect(logs).not.toContain('command failed');
    expect(logs).not.toContain('could not send the error reply');
  });
});
