/**
 * `resolution` on Discord (issue 20, Deliver 4), real discord.js against the fake and the
 * simulator: /video and /animate offer 720p/1080p/4k as choices (/video still within Discord's 25
 * options, which the fake holds registrations to); on the legacy API 1080p is sent as mode pro;
 * a mode and a resolution that disagree are refused privately, naming both, with no create.
 */
import { describe, expect, it } from 'vitest';
import {
  ALICE,
  CH_A1,
  GUILD_A,
  cardIsFinal,
  cardOf,
  discordRigPerTest,
  embedText,
  ephemeralAnswers,
  taskIdOf,
} from './helpers/discord-harness.js';

const setup = discordRigPerTest();

const command = (name: string, options: Record<string, string>) => ({
  guildId: GUILD_A,
  channelId: CH_A1,
  user: ALICE,
  name,
  options: Object.entries(options).map(([n, value]) => ({ name: n, type: 3, value })),
});

interface Definition {
  name: string;
  options: Array<{ name: string; choices?: Array<{ value: string }> }>;
}

describe('Discord: resolution', () => {
  it('offered as choices on /video and /animate; 1080p goes to the legacy API as mode pro', async () => {
    const { s, f } = await setup();
    const defs = f.commands({ guildId: GUILD_A }) as Definition[];
    for (const name of ['video', 'animate', 'storyboard']) {
      const options = defs.find((d) => d.name === name)?.options ?? [];
      expect(options.length, name).toBeLessThanOrEqual(25);
      expect(
        options.find((o) => o.name === 'resolution')?.choices?.map((c) => c.value),
        name,
      ).toEqual(['720p', '1080p', '4k']);
    }
    const rec = await f.sendCommand(
      command('video', { prompt: 'a red fox in the snow', model: 'kling-v2-6', resolution: '1080p' }),
    );
    await f.waitFor(() => cardIsFinal(s, cardOf(f, rec)), 15_000);
    const id = taskIdOf(cardOf(f, rec)) ?? '';
    expect(s.task(id)?.body).toMatchObject({ model_name: 'kling-v2-6', mode: 'pro' });
  });

  it('a mode and a resolution that disagree: refused privately naming both; 4k on the legacy API too; no create', async () => {
    const { s, f } = await setup();
    const cases = [
      [
        command('video', { prompt: 'a fox', mode: 'std', resolution: '1080p' }),
        /mode std and resolution 1080p disagree/,
      ],
      [
        command('animate', { image_url: 'https://example.com/cat.png', mode: 'pro', resolution: '720p' }),
        /mode pro and resolution 720p disagree/,
      ],
      [command('video', { prompt: 'a fox', model: 'kling-v3', resolution: '4k' }), /legacy API here, which has no 4k/],
    ] as const;
    const sent = await Promise.all(cases.map(([c]) => f.sendCommand(c)));
    await f.waitFor(() => sent.every((r) => ephemeralAnswers(f, r).length > 0), 5000);
    for (const [i, r] of sent.entries())
      expect(embedText(ephemeralAnswers(f, r)[0]), `case ${i}`).toMatch(cases[i]?.[1] ?? /x^/);
    expect(s.stats.creates).toBe(0);
  });
});
