/**
 * End to end: an unmodified discord.js Client (the real adapter) talks to the fake Discord, the
 * core talks to the Kling simulator, everything on loopback in this process.
 */
import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../commands/dispatch.js';
import { CARD_BY_OUTBOX, type CommandIO } from '../src/invocation.js';
import type { PrivateView } from '../src/render/view.js';
import {
  maxAttemptsPerWindow,
  unforced429s,
  type FakeDiscord,
  type FakeUser,
  type InteractionRecord,
} from './fakes/discord/index.js';
import {
  ALICE,
  BOB,
  CH_A1,
  CH_A2,
  CH_B1,
  GUILD_A,
  GUILD_B,
  ROLE_ARTIST,
  cardIsFinal,
  cardOf,
  carol,
  customIds,
  discordRigPerTest,
  embedText,
  ephemeralAnswers,
  expectNoSecrets,
  expectedVideoUrl,
  galleryUrls,
  isV2,
  taskIdOf,
  video,
} from './helpers/discord-harness.js';

/**
 * Every test runs at Discord's realistic per-channel limit (5 message writes / 5 s, interaction-webhook
 * writes included) and, after each, the rig checks from the fake's request log that the bot caused no 429
 * and never tried more writes than a channel window allows.
 */
const setup = discordRigPerTest({
  afterTest: ({ f }) => {
    // Whatever the test was about: the bot caused no 429 and kept every channel's windows.
    expect(unforced429s(f).map((r) => `${r.cause} ${r.route} at ${r.at}`)).toEqual([]);
    for (const ch of [CH_A1, CH_A2, CH_B1]) expect(maxAttemptsPerWindow(f, ch), ch).toBeLessThanOrEqual(5);
  },
});

/**
 * A private answer or a card's end may wait for the channel's window at the realistic limit (5 s per 5
 * writes; two cards' writes and mentions fill one), then for a loaded machine's share of the work.
 */
const REPLY_WAIT_MS = 30_000;

/** The ephemeral page (or notice) a private command or click ended with. */
function privateAnswer(f: FakeDiscord, rec: InteractionRecord) {
  return ephemeralAnswers(f, rec).at(-1);
}

const tasksCommand = (
  user: FakeUser,
  options: Array<{ name: string; type: number; value: string | number }>,
  channelId = CH_A2,
  guildId = GUILD_A,
) => ({
  guildId,
  channelId,
  user,
  name: 'tasks',
  options,
});

/** `/task <id>` as a user would type it. */
const taskCommand = (user: FakeUser, id: string, channelId: string, guildId: string) => ({
  guildId,
  channelId,
  user,
  name: 'task',
  options: [{ name: 'id', type: 3, value: id }],
});

describe('Discord end to end (in process)', () => {
  it('/video is answered with its card itself (type 4, no channel write), which goes through processing and ends with the video', async () => {
    const { s, f, b } = await setup();
    // Connections for acknowledgements were opened at start-up, before any command arrived.
    expect(
      f.requests.filter((r) => r.method === 'GET' && r.path === '/gateway' && r.status === 200).length,
    ).toBeGreaterThanOrEqual(8);
    const rec = await f.sendCommand(video(CH_A1, ALICE, 'a red fox running through snow, cinematic'));
    await f.waitFor(() => rec.ackedAt !== undefined, 3000);
    expect(rec.ackType).toBe(4);
    expect(rec.ephemeral).toBe(false);
    expect(rec.ackLatencyMs).toBeLessThan(3000);
    expect(rec.lateCallbackAt).toEqual([]);

    await f.waitFor(() => cardIsFinal(s, cardOf(f, rec)), REPLY_WAIT_MS);
    const card = cardOf(f, rec);
    const id = taskIdOf(card) ?? '';
    const url = expectedVideoUrl(s, id);
    // A Components V2 card: no content or embeds, the uploaded video in its media gallery.
    expect(isV2(card)).toBe(true);
    expect(card?.content).toBe('');
    expect(card?.embeds).toEqual([]);
    await f.waitFor(() => (cardOf(f, rec)?.attachments.length ?? 0) === 1, 10_000);
    expect(galleryUrls(cardOf(f, rec))).toEqual([`attachment://${cardOf(f, rec)?.attachments[0]?.filename}`]);
    expect(url).toBeDefined();
    expect(customIds(card)).toEqual(expect.arrayContaining([`kb:g:${id}`, `kb:r:${id}`, `kb:d:${id}`]));
    // One message, edited in place through its life, showing processing on the way.
    const shown = (card?.edits ?? []).map((e) => JSON.stringify(e.body));
    expect(shown.some((t) => t.includes('Processing'))).toBe(true);
    expect(embedText(card)).toContain('Done');
    // One card (the requester's "ready" mention is a message of its own, without components).
    expect(f.messagesIn(CH_A1).filter((m) => !m.deleted && m.components.length > 0)).toHaveLength(1);
    expect(s.createsFor(id)).toBe(1);
    expect(s.stats.creates).toBe(1);
    expectNoSecrets(f, b.logs);
  });

  it('keeps few users and members cached, however many people use it', async () => {
    const { s, f, b } = await setup({ adapter: { userCacheSize: 3 } });
    const recs: InteractionRecord[] = [];
    for (let i = 0; i < 8; i++) recs.push(await f.sendCommand(video(CH_A1, carol(i), `crowd ${i}`)));
    await f.waitFor(() => recs.every((r) => cardIsFinal(s, cardOf(f, r))), REPLY_WAIT_MS);
    for (const r of recs) expect(s.createsFor(taskIdOf(cardOf(f, r)) ?? '')).toBe(1);
    const { client } = b.adapter;
    expect(client.users.cache.size).toBeLessThanOrEqual(4);
    expect(client.guilds.cache.get(GUILD_A)?.members.cache.size ?? 0).toBeLessThanOrEqual(4);
    // The bot's own user stays, whatever the limit.
    expect(client.users.cache.has(client.user?.id ?? '')).toBe(true);
  });

  it('20 tasks over 3 channels in 2 guilds each end on their own video; /tasks never crosses guilds', async () => {
    const { s, f, b } = await setup();
    const aliceB: FakeUser = { ...ALICE, roles: [] };
    const plan: Array<{ channelId: string; guildId: string; user: FakeUser }> = [];
    for (let i = 0; i < 20; i++) {
      const where = [
        { channelId: CH_A1, guildId: GUILD_A },
        { channelId: CH_A2, guildId: GUILD_A },
        { channelId: CH_B1, guildId: GUILD_B },
      ][i % 3] ?? { channelId: CH_A1, guildId: GUILD_A };
      const user = i % 2 === 0 ? (where.guildId === GUILD_A ? ALICE : aliceB) : carol(i);
      plan.push({ ...where, user });
    }
    const recs = await Promise.all(
      plan.map((p, i) => f.sendCommand(video(p.channelId, p.user, `scene ${i}: a lighthouse in a storm`, p.guildId))),
    );
    await f.waitFor(() => recs.every((r) => cardIsFinal(s, cardOf(f, r))), 45_000);

    const ids = recs.map((r) => taskIdOf(cardOf(f, r)) ?? '');
    expect(new Set(ids).size).toBe(20);
    for (const id of ids) expect(s.createsFor(id)).toBe(1);
    expect(s.stats.creates).toBe(20);
    for (const r of recs) expect(r.ackLatencyMs).toBeLessThan(3000);
    // At the realistic limit the bot caused no 429 (waited out or not) and kept every channel's windows.
    expect(unforced429s(f).map((r) => `${r.cause} ${r.route} at ${r.at}`)).toEqual([]);
    for (const ch of [CH_A1, CH_A2, CH_B1]) expect(maxAttemptsPerWindow(f, ch), ch).toBeLessThanOrEqual(5);

    // Alice has tasks in both guilds; her history in A holds only A's.
    const inB = new Set(recs.filter((_r, i) => plan[i]?.guildId === GUILD_B).map((r) => taskIdOf(cardOf(f, r))));
    const inA = recs
      .filter((_r, i) => plan[i]?.guildId === GUILD_A && plan[i]?.user.id === ALICE.id)
      .map((r) => taskIdOf(cardOf(f, r)) ?? '');
    const list = await f.sendCommand(
      tasksCommand(ALICE, [
        { name: 'scope', type: 3, value: 'mine' },
        { name: 'page_size', type: 4, value: 25 },
      ]),
    );
    await f.waitFor(() => privateAnswer(f, list) && !privateAnswer(f, list)?.loading, REPLY_WAIT_MS);
    const page = embedText(privateAnswer(f, list));
    for (const id of inA) expect(page).toContain(id);
    for (const id of inB) expect(page).not.toContain(id ?? 'none');
    expect(page).toContain(`${inA.length} tasks`);
    expectNoSecrets(f, b.logs);
  });

  it('/tasks pages with Next and Prev; only the person who ran it can turn its pages', async () => {
    const { s, f, b } = await setup();
    const recs: InteractionRecord[] = [];
    for (let i = 0; i < 5; i++) {
      // One at a time, so creation order (what /tasks sorts by) is the order sent.
      const rec = await f.sendCommand(video(CH_A2, ALICE, `page test ${i}`));
      await f.waitFor(() => taskIdOf(cardOf(f, rec)), REPLY_WAIT_MS);
      recs.push(rec);
    }
    await f.waitFor(() => recs.every((r) => cardIsFinal(s, cardOf(f, r))), REPLY_WAIT_MS);
    const newestFirst = recs.map((r) => taskIdOf(cardOf(f, r)) ?? '').reverse();

    const list = await f.sendCommand(tasksCommand(ALICE, [{ name: 'page_size', type: 4, value: 2 }]));
    await f.waitFor(() => privateAnswer(f, list)?.loading === false, REPLY_WAIT_MS);
    expect(list.ephemeral).toBe(true);
    const pageMsg = privateAnswer(f, list);
    const pageId = pageMsg?.id ?? '';
    const shows = (ids: string[]) => {
      const text = embedText(f.messages.get(pageId));
      return (
        ids.every((id) => text.includes(id)) &&
        newestFirst.filter((id) => !ids.includes(id)).every((id) => !text.includes(id))
      );
    };
    expect(shows(newestFirst.slice(0, 2))).toBe(true);
    expect(embedText(pageMsg)).toContain('page 1 of 3');

    const next =
      customIds(f.messages.get(pageId)).find((id) => id.startsWith('kb:p:') && id.split(':')[3] === '2') ?? '';
    expect(next).not.toBe('');
    const click = await f.clickButton({ messageId: pageId, customId: next, user: ALICE });
    await f.waitFor(() => shows(newestFirst.slice(2, 4)), REPLY_WAIT_MS);
    expect(click.ackType).toBe(7);
    expect(embedText(f.messages.get(pageId))).toContain('page 2 of 3');

    const prev =
      customIds(f.messages.get(pageId)).find((id) => id.startsWith('kb:p:') && id.split(':')[3] === '1') ?? '';
    await f.clickButton({ messageId: pageId, customId: prev, user: ALICE });
    await f.waitFor(() => shows(newestFirst.slice(0, 2)), REPLY_WAIT_MS);

    // Discord shows an ephemeral page to its owner only: nobody else can even click it…
    await expect(f.clickButton({ messageId: pageId, customId: next, user: BOB })).rejects.toThrow(/ephemeral/);
    // …and if such a click reached the bot, the id's owner would not match Bob and the page stays put.
    const seen: PrivateView[] = [];
    const io: CommandIO = {
      card: CARD_BY_OUTBOX,
      replyPrivate: async (v) => void seen.push(v),
      updatePrivate: async (v) => void seen.push(v),
    };
    await new Dispatcher(b.core.services, b.core.metrics).runButton(
      next,
      { platform: 'discord', guildId: GUILD_A, channelId: CH_A2, user: { id: BOB.id, name: 'bob', roleIds: [] } },
      io,
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]?.kind === 'notice' && seen[0].tone).toBe('error');
    expectNoSecrets(f, b.logs);
  });

  it('card buttons: Refresh, Delete refused for others, Delete by the requester, Regenerate opens a new card', async () => {
    const { s, f, b } = await setup();
    const rec = await f.sendCommand(video(CH_A1, ALICE, 'a paper boat on a river'));
    await f.waitFor(() => cardIsFinal(s, cardOf(f, rec)), REPLY_WAIT_MS);
    const card = cardOf(f, rec);
    const id = taskIdOf(card) ?? '';
    const cardId = card?.id ?? '';

    const refresh = await f.clickButton({ messageId: cardId, customId: `kb:r:${id}`, user: BOB });
    await f.waitFor(() => refresh.ackedAt !== undefined, 3000);
    expect(refresh.ackType).toBe(6);

    const regen = await f.clickButton({ messageId: cardId, customId: `kb:g:${id}`, user: BOB });
    await f.waitFor(() => regen.ackedAt !== undefined, 3000);
    expect(regen.ackType).toBe(4);
    expect(regen.ephemeral).toBe(false);
    await f.waitFor(() => cardIsFinal(s, cardOf(f, regen)), REPLY_WAIT_MS);
    const second = cardOf(f, regen);
    const secondId = taskIdOf(second) ?? '';
    expect(secondId).not.toBe(id);
    expect(s.createsFor(secondId)).toBe(1);
    expect(embedText(second)).toContain('bob');

    const denied = await f.clickButton({ messageId: cardId, customId: `kb:d:${id}`, user: BOB });
    await f.waitFor(() => ephemeralAnswers(f, denied).length > 0, REPLY_WAIT_MS);
    expect(embedText(ephemeralAnswers(f, denied)[0])).toMatch(/Only the person who asked/);
    expect(f.messages.get(cardId)?.deleted).toBe(false);

    const del = await f.clickButton({ messageId: cardId, customId: `kb:d:${id}`, user: ALICE });
    await f.waitFor(() => f.messages.get(cardId)?.deleted === true, REPLY_WAIT_MS);
    await f.waitFor(() => ephemeralAnswers(f, del).length > 0, REPLY_WAIT_MS);
    expect(embedText(ephemeralAnswers(f, del)[0])).toContain('deleted');
    expectNoSecrets(f, b.logs);
  });

  it('/task shows one task privately; /animate with an uploaded PNG becomes an image-to-video card', async () => {
    const { s, f } = await setup();
    const anim = await f.sendCommand({
      guildId: GUILD_A,
      channelId: CH_A1,
      user: ALICE,
      name: 'animate',
      options: [{ name: 'prompt', type: 3, value: 'the cat blinks slowly' }],
      attachments: [
        { filename: 'cat.png', contentType: 'image/png', size: 400_000, width: 1024, height: 768, optionName: 'image' },
      ],
    });
    await f.waitFor(() => cardIsFinal(s, cardOf(f, anim)), REPLY_WAIT_MS);
    const id = taskIdOf(cardOf(f, anim)) ?? '';
    const sent = s.task(id);
    expect(sent?.kind).toBe('image2video');
    expect(String(sent?.body['image'])).toContain('cat.png');

    const one = await f.sendCommand(taskCommand(BOB, id, CH_A2, GUILD_A));
    await f.waitFor(() => privateAnswer(f, one)?.loading === false, REPLY_WAIT_MS);
    expect(one.ephemeral).toBe(true);
    expect(embedText(privateAnswer(f, one))).toContain(id);
    // Another guild does not know this task.
    const other = await f.sendCommand(taskCommand(BOB, id, CH_B1, GUILD_B));
    await f.waitFor(() => privateAnswer(f, other)?.loading === false, REPLY_WAIT_MS);
    expect(embedText(privateAnswer(f, other))).toContain('No task');
  });

  it('roles and admins: the allowlist admits members with the role and admins, refuses the rest privately', async () => {
    const { s, f } = await setup({ env: { ALLOWED_ROLE_IDS: ROLE_ARTIST } });
    const refused = await f.sendCommand(video(CH_A1, BOB, 'not allowed'));
    await f.waitFor(() => ephemeralAnswers(f, refused).length > 0, REPLY_WAIT_MS);
    expect(embedText(ephemeralAnswers(f, refused)[0])).toContain('roles');
    // The public "thinking…" placeholder was removed, so nothing public is left behind.
    expect(f.messagesIn(CH_A1).filter((m) => !m.deleted && (m.flags & 64) === 0)).toHaveLength(0);

    const admin: FakeUser = {
      id: carol(99).id,
      username: 'root',
      permissions: String((1n << 3n) | (1n << 10n) | (1n << 11n)),
    };
    const allowed = [
      await f.sendCommand(video(CH_A1, ALICE, 'allowed by role')),
      await f.sendCommand(video(CH_A1, admin, 'allowed as admin')),
    ];
    await f.waitFor(() => allowed.every((r) => cardIsFinal(s, cardOf(f, r))), REPLY_WAIT_MS);
    expect(s.stats.creates).toBe(2);
  });
});
