/**
 * Strangers cannot spend: a Discord application is public by default, so anyone can add the bot
 * to a server they own. End to end with the real adapter against the fake Discord; the Kling
 * simulator counts every call the bot makes.
 */
import { describe, expect, it } from 'vitest';
import { slashCommands } from '../src/platforms/discord/commands.js';
import type { FakeDiscord, FakeUser, InteractionRecord } from './fakes/discord/index.js';
import {
  ALICE,
  APP_ID,
  CH_A1,
  CH_B1,
  GUILD_A,
  GUILD_B,
  SECRETS,
  cardIsFinal,
  cardOf,
  carol,
  discordRigPerTest,
  ephemeralAnswers,
  video,
  type DiscordRigOptions,
} from './helpers/discord-harness.js';

const rig = discordRigPerTest();

/** The rig with DISCORD_GUILD_IDS set to `guildIds` (and how often the bot asks Discord again). */
const setup = (guildIds: string, more: DiscordRigOptions = {}, recheckMs?: number) =>
  rig({
    env: { DISCORD_GUILD_IDS: guildIds },
    ...(recheckMs !== undefined ? { adapter: { guildRecheckMs: recheckMs } } : {}),
    ...more,
  });

/** Commands registered the way an earlier run of the bot (or another config) left them. */
async function registerBefore(f: FakeDiscord, guildId?: string): Promise<void> {
  const path = guildId ? `/applications/${APP_ID}/guilds/${guildId}/commands` : `/applications/${APP_ID}/commands`;
  const res = await fetch(`${f.apiUrl}/v10${path}`, {
    method: 'PUT',
    headers: { Authorization: `Bot ${SECRETS.botToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(slashCommands()),
  });
  expect(res.status).toBe(200);
}

/** Owns the server the bot was added to, so holds Administrator there. */
const STRANGER: FakeUser = { id: carol(99).id, username: 'stranger', permissions: '8' };
const credits = (guildId: string, channelId: string, user: FakeUser) => ({ guildId, channelId, user, name: 'credits' });

/** The private text an interaction was answered with (its first ephemeral message). */
async function privateText(f: FakeDiscord, rec: InteractionRecord): Promise<string> {
  const answer = await f.waitFor(() => ephemeralAnswers(f, rec)[0], 5000);
  return JSON.stringify({ content: answer.content, embeds: answer.embeds });
}

describe('Discord: only the servers the operator allows', () => {
  it('DISCORD_GUILD_IDS lists A: /video and /credits from B are refused privately, nothing reaches Kling; A is served', async () => {
    const { s, f, b } = await setup(GUILD_A, {
      // Left behind: global commands from an earlier global registration, and B's from a list that had it.
      beforeBot: async ({ f }) => {
        await registerBefore(f);
        await registerBefore(f, GUILD_B);
      },
    });
    // The stale global commands are gone; B's guild commands are left (the bot never leaves servers).
    expect(f.commands({})).toEqual([]);
    expect(f.commands({ guildId: GUILD_A }).length).toBe(slashCommands().length);

    const callsBefore = s.calls.length;
    const vid = await f.sendCommand(video(CH_B1, STRANGER, 'free videos for strangers', GUILD_B));
    const cred = await f.sendCommand(credits(GUILD_B, CH_B1, STRANGER));
    for (const rec of [vid, cred]) {
      expect(await privateText(f, rec)).toContain('does not serve this server');
      expect(rec.ackType).toBe(4);
      expect(rec.ephemeral).toBe(true);
    }
    // Nothing public in B, no Kling call, no record.
    expect(f.messagesIn(CH_B1).filter((m) => (m.flags & 64) === 0)).toEqual([]);
    expect(s.calls.length).toBe(callsBefore);
    expect(await b.core.store.inflightIds()).toEqual([]);
    // One log line per refusal, naming the server.
    const refusals = b.logs.filter((l) => l.includes('interaction refused'));
    expect(refusals).toHaveLength(2);
    for (const line of refusals) expect(line).toContain(GUILD_B);

    // The listed server is served as before.
    const served = await f.sendCommand(video(CH_A1, ALICE, 'a lighthouse at dusk'));
    await f.waitFor(() => cardIsFinal(s, cardOf(f, served)), 15_000);
    expect(s.stats.creates).toBe(1);
  });

  it('no list and a public application: every command is refused with what to do, until Public Bot is turned off', async () => {
    const { s, f, b } = await setup('', {}, 0);
    const callsBefore = s.calls.length;
    const vid = await f.sendCommand(video(CH_A1, STRANGER, 'a public bot'));
    const cred = await f.sendCommand(credits(GUILD_A, CH_A1, STRANGER));
    for (const rec of [vid, cred]) {
      const text = await privateText(f, rec);
      expect(text).toContain('DISCORD_GUILD_IDS');
      expect(text).toContain('Public Bot');
      expect(rec.ephemeral).toBe(true);
    }
    expect(s.calls.length).toBe(callsBefore);
    expect(f.messagesIn(CH_A1).filter((m) => (m.flags & 64) === 0)).toEqual([]);

    // The operator turns Public Bot off: the bot asks again (no restart needed) and serves.
    f.setBotPublic(false);
    await f.sendCommand(video(CH_A1, ALICE, 'ask again'));
    await f.waitFor(() => b.logs.some((l) => l.includes('application is private')), 5000);
    const served = await f.sendCommand(video(CH_A1, ALICE, 'now served'));
    await f.waitFor(() => cardIsFinal(s, cardOf(f, served)), 15_000);
    expect(s.stats.creates).toBe(1);
  });

  it('no list and a private application: every server the bot is in is served', async () => {
    const { s, f } = await setup('', { fake: { botPublic: false } });
    const a = await f.sendCommand(video(CH_A1, ALICE, 'in A'));
    const bRec = await f.sendCommand(video(CH_B1, { ...ALICE, roles: [] }, 'in B', GUILD_B));
    await f.waitFor(() => cardIsFinal(s, cardOf(f, a)) && cardIsFinal(s, cardOf(f, bRec)), 15_000);
    expect(s.stats.creates).toBe(2);
  });
});
