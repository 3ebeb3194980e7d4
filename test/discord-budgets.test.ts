/**
 * Money caps end to end through the real Discord adapter (issue 16, finding 4): daily budgets in
 * Kling video units, per user, per server and for the whole bot, and ALLOWED_MODELS. Expected
 * figures come from docs/sources.md ("Prices and units"), written out here, never from the bot's own table.
 */
import { describe, expect, it } from 'vitest';
import type { FakeDiscord, InteractionRecord, SendCommandInput } from './fakes/discord/index.js';
import { mintTestJwt, type KlingSimulator } from '../tools/kling-simulator/simulator.js';
import { loadConfig, ConfigError } from '../src/config.js';
import {
  ALICE,
  BOB,
  CH_A1,
  CH_B1,
  GUILD_A,
  GUILD_B,
  SECRETS,
  cardIsFinal,
  cardOf,
  discordRigPerTest,
  embedText,
  ephemeralAnswers,
  startSim,
  taskIdOf,
  video,
} from './helpers/discord-harness.js';

/** docs/sources.md: 3.0 (kling-v3) 1080p (pro) with audio, units per second. */
const REF_V3_PRO_AUDIO_PER_S = 1.2;
/** docs/sources.md: 2.5 Turbo (the default model) 720p (std), units per second. */
const REF_TURBO_STD_PER_S = 0.3;

const rig = discordRigPerTest();

// The default active cap (2) and its per-user lock stay on: they must not get in the way.
const setup = (env: Record<string, string>, timing?: Parameters<typeof startSim>[0]) =>
  rig({ env: { USER_MAX_ACTIVE_TASKS: '2', ...env }, ...(timing ? { sim: timing } : {}) });

const v3Pro15WithSound = (user = ALICE, channelId = CH_A1, guildId = GUILD_A): SendCommandInput => ({
  ...video(channelId, user, 'a storm over the sea', guildId),
  options: [
    { name: 'prompt', type: 3, value: 'a storm over the sea' },
    { name: 'model', type: 3, value: 'kling-v3' },
    { name: 'mode', type: 3, value: 'pro' },
    { name: 'duration', type: 3, value: '15' },
    { name: 'sound', type: 3, value: 'on' },
  ],
});

const unknownModel15 = (user = ALICE): SendCommandInput => ({
  ...video(CH_A1, user, 'a quiet street'),
  options: [
    { name: 'prompt', type: 3, value: 'a quiet street' },
    { name: 'model', type: 3, value: 'kling-v9-preview' },
    { name: 'duration', type: 3, value: '15' },
  ],
});

/** The private answer an interaction ended with (a deferred "thinking…" is waited out). */
async function refusalOf(f: FakeDiscord, rec: InteractionRecord): Promise<string> {
  await f.waitFor(() => {
    const last = ephemeralAnswers(f, rec).at(-1);
    return last !== undefined && !last.loading;
  }, 5000);
  return embedText(ephemeralAnswers(f, rec).at(-1));
}

/** What Kling (the simulator) says it charged for a task: its own final_unit_deduction, asked directly. */
async function chargedBySim(s: KlingSimulator, ourId: string): Promise<number> {
  const task = s.task(ourId);
  if (!task) throw new Error(`the simulator has no task ${ourId}`);
  const res = await fetch(`${s.url}/v1/videos/text2video/${task.taskId}`, {
    headers: { authorization: `Bearer ${mintTestJwt(SECRETS.klingAccessKey, SECRETS.klingSecretKey)}` },
  });
  const body = (await res.json()) as { data?: { final_unit_deduction?: string } };
  const figure = Number(body.data?.final_unit_deduction);
  if (!Number.isFinite(figure)) throw new Error('the simulator gave no final_unit_deduction');
  return figure;
}

const today = () => new Date().toISOString().slice(0, 10);

describe('Discord: daily unit budgets', () => {
  it('GIVEN a 10-unit user budget THEN v3 pro 15 s with sound and an unknown model at 15 s are refused naming it, with zero Kling calls; a 5 s default /video runs and settles with Kling’s charge', async () => {
    const { s, f, b } = await setup({ USER_MAX_DAILY_UNITS: '10' });
    const dear = await f.sendCommand(v3Pro15WithSound());
    const text = await refusalOf(f, dear);
    expect(text).toContain('your daily budget is 10 units');
    expect(text).toContain(`about ${REF_V3_PRO_AUDIO_PER_S * 15} units`);
    expect(text).toContain('10 units are left');
    expect(text).toMatch(/resets at 00:00 UTC/);
    // Nothing public is left behind.
    expect(f.messagesIn(CH_A1).filter((m) => (m.flags & 64) === 0 && !m.deleted)).toEqual([]);

    const unknown = await f.sendCommand(unknownModel15());
    const unknownText = await refusalOf(f, unknown);
    expect(unknownText).toContain('your daily budget is 10 units');
    const needs = Number(/about ([\d.]+) units/.exec(unknownText)?.[1]);
    expect(needs).toBeGreaterThanOrEqual(REF_V3_PRO_AUDIO_PER_S * 15);
    expect(s.calls.filter((c) => c.op === 'create')).toEqual([]);

    const cheap = await f.sendCommand(video(CH_A1, ALICE, 'a lighthouse at dusk'));
    await f.waitFor(() => cardIsFinal(s, cardOf(f, cheap)), 15_000);
    const id = taskIdOf(cardOf(f, cheap)) ?? '';
    expect(s.stats.creates).toBe(1);
    // Settled: the day's count holds what Kling charged, not the estimate (0.3 units/s × 5 s).
    const charged = await chargedBySim(s, id);
    await f.waitFor(async () => (await b.core.store.get(id))?.budget?.settled === true, 5000);
    const { ledger } = await b.core.storage.units.on('discord', GUILD_A, today());
    expect(ledger[ALICE.id]).toBe(Math.round(charged * 100));
    const quota = await f.sendCommand({ guildId: GUILD_A, channelId: CH_A1, user: ALICE, name: 'quota', options: [] });
    const said = await refusalOf(f, quota);
    expect(said).toContain(
      `Units today (you): ${charged} unit${charged === 1 ? '' : 's'} of 10, ${10 - charged} units left`,
    );
    expect(said).toContain(`Units today (this server): ${charged} unit`);
    expect(said).not.toContain('by user');
  });

  it('GIVEN an admin THEN the per-user budget does not apply to them, the server’s does', async () => {
    // Kling keeps the task running, so the server's count holds its estimate throughout.
    const running = { submittedMs: 100, processingMs: 600_000 };
    const { s, f } = await setup(
      {
        USER_MAX_DAILY_UNITS: '10',
        GUILD_MAX_DAILY_UNITS: String(REF_V3_PRO_AUDIO_PER_S * 15 + 5),
        ADMIN_USER_IDS: BOB.id,
      },
      running,
    );
    const first = await f.sendCommand(v3Pro15WithSound(BOB));
    await f.waitFor(() => taskIdOf(cardOf(f, first)) !== undefined && s.stats.creates === 1, 5000);
    const second = await f.sendCommand(v3Pro15WithSound(BOB, CH_A1));
    const text = await refusalOf(f, second);
    expect(text).toContain('this server’s daily budget is 23 units');
    expect(text).toContain(`about ${REF_V3_PRO_AUDIO_PER_S * 15} units`);
    expect(s.stats.creates).toBe(1);
    const quota = await f.sendCommand({ guildId: GUILD_A, channelId: CH_A1, user: BOB, name: 'quota', options: [] });
    const said = await refusalOf(f, quota);
    expect(said).toContain(`Spent today in this server, by user: bob ${REF_V3_PRO_AUDIO_PER_S * 15} units`);
    expect(said).toContain('Units today (you): 18 units (your budget does not apply to admins)');
    expect(said).toContain(`Units today (this server): 18 units of 23, 5 units left`);
  });

  it('GIVEN a whole-bot budget THEN a task in another server is refused once the bot’s budget is used', async () => {
    const { s, f } = await setup({ MAX_DAILY_UNITS: '2' });
    const first = await f.sendCommand(video(CH_A1, ALICE, 'first light'));
    await f.waitFor(() => taskIdOf(cardOf(f, first)) !== undefined && s.stats.creates === 1, 5000);
    const other = await f.sendCommand(video(CH_B1, BOB, 'second light', GUILD_B));
    const text = await refusalOf(f, other);
    expect(text).toContain('the bot’s daily budget');
    expect(text).toContain(`about ${REF_TURBO_STD_PER_S * 5} units`);
    expect(s.stats.creates).toBe(1);
  });
});

describe('Discord: ALLOWED_MODELS', () => {
  it('GIVEN a list THEN a member’s other model is refused with zero Kling calls, and Regenerate (with the reason) or Extend of an admin’s task on it is refused too', async () => {
    const { s, f } = await setup({ ALLOWED_MODELS: 'kling-2.5-turbo,kling-v2-1', ADMIN_USER_IDS: BOB.id });
    const refused = await f.sendCommand(v3Pro15WithSound(ALICE));
    expect(await refusalOf(f, refused)).toContain('The model kling-v3 is not allowed here');
    expect(s.calls.filter((c) => c.op === 'create')).toEqual([]);

    // kling-v1: a model Kling documents video-extend for, so its card offers Extend too.
    const byAdmin = await f.sendCommand({
      ...video(CH_A1, BOB, 'an old film'),
      options: [
        { name: 'prompt', type: 3, value: 'an old film' },
        { name: 'model', type: 3, value: 'kling-v1' },
      ],
    });
    await f.waitFor(() => cardIsFinal(s, cardOf(f, byAdmin)), 15_000);
    const card = cardOf(f, byAdmin);
    const id = taskIdOf(card) ?? '';
    const regen = await f.clickButton({ messageId: card?.id ?? '', customId: `kb:g:${id}`, user: ALICE });
    const text = await refusalOf(f, regen);
    expect(text).toContain(`Task ${id} was made with kling-v1, which is no longer allowed here`);
    expect(s.stats.creates).toBe(1);
    const extend = await f.clickButton({ messageId: card?.id ?? '', customId: `kb:x:${id}`, user: ALICE });
    expect(await refusalOf(f, extend)).toContain('The model kling-v1 is not allowed here');
    expect(s.stats.creates).toBe(1);

    // The default model (listed under its other id) still runs for the member.
    const ok = await f.sendCommand(video(CH_A1, ALICE, 'a small boat'));
    await f.waitFor(() => cardIsFinal(s, cardOf(f, ok)), 15_000);
    expect(s.stats.creates).toBe(2);
  });

  it('GIVEN a list without the default models THEN start-up stops, one line naming each', () => {
    const env = {
      KLING_ACCESS_KEY: 'k'.repeat(20),
      KLING_SECRET_KEY: 's'.repeat(20),
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'x'.repeat(20),
      ALLOWED_MODELS: 'kling-v3',
    };
    let problems: string[] = [];
    try {
      loadConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) problems = err.problems;
    }
    expect(problems).toEqual([
      'ALLOWED_MODELS: must include the default model kling-v2-5-turbo (KLING_DEFAULT_MODEL), or set KLING_DEFAULT_MODEL to a listed one',
      'ALLOWED_MODELS: must include the default model kling-v2-1 (KLING_DEFAULT_IMAGE_MODEL), or set KLING_DEFAULT_IMAGE_MODEL to a listed one',
    ]);
    expect(() => loadConfig({ ...env, ALLOWED_MODELS: 'kling-v3, kling-2.5-turbo ,kling-v2-1' })).not.toThrow();
  });
});
