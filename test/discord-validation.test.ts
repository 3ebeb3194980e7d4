/**
 * Bad input from Discord: a private error naming the field and the rule, nothing public left
 * behind, and not a single call to Kling.
 */
import { describe, expect, it } from 'vitest';
import { slashCommands } from '../src/platforms/discord/commands.js';
import type { SendCommandInput } from './fakes/discord/index.js';
import {
  ALICE,
  CH_A1,
  GUILD_A,
  GUILD_B,
  cardIsFinal,
  cardOf,
  discordRigPerTest,
  expectNoSecrets,
  expectRefusals,
  taskIdOf,
  video,
  type RefusalCase,
} from './helpers/discord-harness.js';

const setup = discordRigPerTest();

const animate = (
  options: SendCommandInput['options'],
  attachments?: SendCommandInput['attachments'],
): SendCommandInput => ({
  guildId: GUILD_A,
  channelId: CH_A1,
  user: ALICE,
  name: 'animate',
  options,
  ...(attachments ? { attachments } : {}),
});

describe('Discord: bad input', () => {
  it('each gets a private error naming the problem; nothing public, zero Kling calls', async () => {
    // Discord's client enforces a registered max_length; with a stale (here: no) registration nothing
    // does, and the bot itself must refuse.
    const {
      s: sim,
      f,
      b: bot,
    } = await setup({
      fake: { requireRegisteredCommands: false },
      adapter: { registerCommands: false },
    });
    const cases: RefusalCase[] = [
      { input: video(CH_A1, ALICE, '   '), says: [/prompt/, /is required/] },
      { input: video(CH_A1, ALICE, 'x'.repeat(3000)), says: [/prompt/, /at most 2,500 characters/, /3,000/] },
      { input: video(CH_A1, ALICE, 'a fox in the snow --ar 7:3'), says: [/aspect_ratio/, /16:9, 9:16, 1:1/] },
      { input: video(CH_A1, ALICE, 'a fox --warp 9'), says: [/--warp/, /not an option/] },
      {
        input: animate(
          [{ name: 'prompt', type: 3, value: 'wave' }],
          [{ filename: 'notes.txt', contentType: 'text/plain', size: 2048, optionName: 'image' }],
        ),
        says: [/image/, /PNG or JPEG/, /text\/plain/],
      },
      {
        input: animate(
          [],
          [{ filename: 'tiny.png', contentType: 'image/png', size: 9000, width: 120, height: 90, optionName: 'image' }],
        ),
        says: [/image/, /at least 300 px/],
      },
      {
        input: animate(
          [{ name: 'image_url', type: 3, value: 'https://example.com/cat.png' }],
          [{ filename: 'cat.png', contentType: 'image/png', size: 9000, width: 800, height: 800, optionName: 'image' }],
        ),
        says: [/image/, /not both/],
      },
      { input: animate([{ name: 'prompt', type: 3, value: 'no image at all' }]), says: [/image/, /is required/] },
    ];
    const recs = await expectRefusals(sim, f, cases);
    for (const [i, rec] of recs.entries()) {
      // Refused before acknowledging: a private reply, never a public "thinking…" first.
      expect(rec.ackType, `case ${i}`).toBe(4);
      expect(rec.ackLatencyMs).toBeLessThan(3000);
    }
    expectNoSecrets(f, bot.logs);
  });

  it('a bot token Discord refuses stops start-up with one clear error, and the token is not in it', async () => {
    const wrong = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.wrong.not-the-bot-token';
    const err = await setup({ env: { DISCORD_TOKEN: wrong } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String(err instanceof Error ? err.message : err)).toMatch(/^Discord login failed: /);
    expect(String(err instanceof Error ? err.message : err)).not.toContain(wrong);
  });

  it('registers the commands per guild from the zod schemas; Discord then refuses an over-long prompt itself', async () => {
    const { s, f, b: bot } = await setup();
    for (const guildId of [GUILD_A, GUILD_B]) {
      const names = f
        .commands({ guildId })
        .map((c) => (c && typeof c === 'object' && 'name' in c ? c.name : undefined));
      expect(names.sort()).toEqual(
        slashCommands()
          .map((c) => c.name)
          .sort(),
      );
    }
    expect(f.commands({})).toEqual([]);
    await expect(f.sendCommand(video(CH_A1, ALICE, 'x'.repeat(2501)))).rejects.toThrow(/max_length 2500/);
    await expect(
      f.sendCommand({
        ...video(CH_A1, ALICE, 'a fox'),
        options: [
          { name: 'prompt', type: 3, value: 'a fox' },
          { name: 'mode', type: 3, value: 'turbo' },
        ],
      }),
    ).rejects.toThrow(/choices/);

    // Flags inside the prompt work as on Slack (and as Midjourney users type them).
    const rec = await f.sendCommand({
      ...video(CH_A1, ALICE, 'a fox in the snow --ar 9:16 --neg "blurry"'),
      options: [
        { name: 'prompt', type: 3, value: 'a fox in the snow --ar 9:16 --neg "blurry"' },
        { name: 'duration', type: 3, value: '10' },
        { name: 'mode', type: 3, value: 'pro' },
        { name: 'cfg_scale', type: 10, value: 0 },
        { name: 'model', type: 3, value: 'kling-v1-6' },
      ],
    });
    await f.waitFor(() => cardIsFinal(s, cardOf(f, rec)), 15_000);
    const body = s.task(taskIdOf(cardOf(f, rec)) ?? '')?.body;
    expect(body, JSON.stringify(body)).toMatchObject({
      model_name: 'kling-v1-6',
      prompt: 'a fox in the snow',
      negative_prompt: 'blurry',
      aspect_ratio: '9:16',
      duration: '10',
      mode: 'pro',
      cfg_scale: 0,
    });
    expectNoSecrets(f, bot.logs);
  });
});
