/**
 * Limits that every other harness turns off, end to end through the real Discord adapter (issue 16,
 * "tests that can fail"): the default USER_MAX_ACTIVE_TASKS of 2 with its per-user lock (commands
 * sent at once cannot all slip under it), and the ALLOWED_CHANNEL_IDS refusal.
 */
import { describe, expect, it } from 'vitest';
import type { FakeDiscord, InteractionRecord } from './fakes/discord/index.js';
import {
  ALICE,
  BOB,
  CH_A1,
  CH_A2,
  cardOf,
  discordRigPerTest,
  embedText,
  ephemeralAnswers,
  video,
} from './helpers/discord-harness.js';

const setup = discordRigPerTest();

/** Tasks that stay running for the whole test. */
const LONG = { submittedMs: 100, processingMs: 600_000, jitter: 0 };

/** The public card an interaction opened (its original response when that is not private). */
function cardFor(f: FakeDiscord, rec: InteractionRecord) {
  const m = cardOf(f, rec);
  return m && (m.flags & 64) === 0 ? m : undefined;
}

/** The interaction ended privately (not a card): its last private answer's words. */
async function privateAnswer(f: FakeDiscord, rec: InteractionRecord): Promise<string> {
  const last = () => ephemeralAnswers(f, rec).at(-1);
  await f.waitFor(() => last() !== undefined && !last()?.loading, 10_000);
  return embedText(last());
}

describe('limits on by default, end to end', () => {
  it('USER_MAX_ACTIVE_TASKS left unset (2): three /video at once from one user make two cards and two creates; the third is refused privately; another user is not held', async () => {
    // '' is unset: the bot's own default applies (the harness turns the cap off otherwise).
    const { s, f } = await setup({ sim: LONG, env: { USER_MAX_ACTIVE_TASKS: '' } });
    const mine = await Promise.all([1, 2, 3].map((i) => f.sendCommand(video(CH_A1, ALICE, `lantern ${i}`))));
    const bobs = await f.sendCommand(video(CH_A1, BOB, 'a harbour at dawn'));
    await f.waitFor(
      () => s.stats.creates === 3 && cardFor(f, bobs) !== undefined && mine.every((r) => r.originalMessageId),
      15_000,
    );
    const carded = mine.filter((r) => cardFor(f, r) !== undefined);
    const refused = mine.filter((r) => cardFor(f, r) === undefined);
    expect(carded).toHaveLength(2);
    expect(refused).toHaveLength(1);
    expect(await privateAnswer(f, refused[0] as InteractionRecord)).toMatch(/already have 2 tasks running \(limit 2\)/);
    // Alice's two and Bob's one, and nothing more after a while for the refused one.
    expect(s.stats.creates).toBe(3);
    const fourth = await f.sendCommand(video(CH_A1, ALICE, 'lantern 4'));
    expect(await privateAnswer(f, fourth)).toMatch(/limit 2/);
    expect(s.stats.creates).toBe(3);
  });

  it('ALLOWED_CHANNEL_IDS: a /video in another channel is refused privately with nothing written or sent; the listed channel works', async () => {
    const { s, f, b: bot } = await setup({ sim: LONG, env: { ALLOWED_CHANNEL_IDS: CH_A1 } });
    const elsewhere = await f.sendCommand(video(CH_A2, ALICE, 'a secret garden'));
    expect(await privateAnswer(f, elsewhere)).toMatch(/not enabled in this channel/);
    expect(cardFor(f, elsewhere)).toBeUndefined();
    expect(await bot.core.store.inflightIds()).toEqual([]);
    expect(s.stats.creates).toBe(0);
    const listed = await f.sendCommand(video(CH_A1, ALICE, 'a public garden'));
    await f.waitFor(() => cardFor(f, listed) !== undefined && s.stats.creates === 1, 10_000);
    expect(await bot.core.store.inflightIds()).toHaveLength(1);
  });
});
