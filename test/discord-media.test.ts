/**
 * Discord end to end (real discord.js against the fake Discord and the Kling simulator): a finished
 * result is uploaded as an attachment of its Components V2 card and played by its gallery; a result
 * over the upload limit, or a download that stalls, leaves Kling's link and a note on a final card
 * and uploads nothing; the requester, and only they, is mentioned once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startKlingSimulator, type KlingSimulator } from '../tools/kling-simulator/simulator.js';
import type { MediaServing } from '../tools/kling-simulator/media-bytes.js';
import type { FakeDiscord, InteractionRecord } from './fakes/discord/index.js';
import {
  ALICE,
  BOB,
  CH_A1,
  FAST_SIM,
  GUILD_A,
  SECRETS,
  cardIsFinal,
  cardOf,
  embedText,
  ephemeralAnswers,
  expectedVideoUrl,
  galleryUrls,
  isV2,
  linkUrls,
  mentionsIn,
  startBot,
  startFake,
  taskIdOf,
  video,
  type InProcessBot,
} from './helpers/discord-harness.js';

let sim: KlingSimulator | undefined;
let fake: FakeDiscord | undefined;
let bot: InProcessBot | undefined;

afterEach(async () => {
  await bot?.close();
  await fake?.close();
  await sim?.close();
  bot = undefined;
  fake = undefined;
  sim = undefined;
});

async function setup(media: MediaServing, fakeOptions: { attachmentSizeLimit?: number } = {}) {
  const s = (sim = await startKlingSimulator({
    auth: { accessKey: SECRETS.klingAccessKey, secretKey: SECRETS.klingSecretKey },
    timing: FAST_SIM,
    media,
  }));
  const f = (fake = await startFake(fakeOptions));
  // Short download clocks, so a stall is given up within the test.
  const b = (bot = await startBot(s, f, { core: { mediaLimits: { idleMs: 500, totalMs: 3000 } } }));
  return { s, f, b };
}

/** Every multipart request the bot sent, with the files it carried. */
const uploads = (f: FakeDiscord) =>
  f.requests.flatMap((r) => {
    const files = (r.body as { files?: Array<{ filename: string; size: number }> } | undefined)?.files;
    return Array.isArray(files) ? [{ status: r.status, files }] : [];
  });

describe('Discord: results uploaded to the card', () => {
  it('a finished video is an attachment of its V2 card, shown in its gallery; Kling’s link stays on the record; one mention, of the requester only', async () => {
    const { s, f, b } = await setup({ bytes: 300_000 });
    const rec = await f.sendCommand(video(CH_A1, ALICE, 'A red fox in the snow'));
    await f.waitFor(() => (cardOf(f, rec)?.attachments.length ?? 0) > 0, 15_000);
    const card = cardOf(f, rec);
    const id = taskIdOf(card) ?? '';
    const name = `a-red-fox-in-the-snow-${id}.mp4`;
    expect(isV2(card)).toBe(true);
    expect(cardIsFinal(s, card)).toBe(true);
    expect(card?.content).toBe('');
    expect(card?.attachments.map((a) => ({ filename: a.filename, size: a.size }))).toEqual([
      { filename: name, size: 300_000 },
    ]);
    expect(galleryUrls(card)).toEqual([`attachment://${name}`]);
    // Kling 2.5 Turbo has no Extend (video-extend is documented for v1.x only): the card promises only Edit.
    expect(embedText(card)).toContain('Edit works until');
    expect(embedText(card)).not.toContain('Extend');
    expect(embedText(card)).not.toContain('Links expire');
    // The whole file went up once, in one request.
    expect(uploads(f).filter((u) => u.status === 200)).toEqual([
      { status: 200, files: [expect.objectContaining({ filename: name, size: 300_000 })] },
    ]);
    // Extend needs Kling's own copy: the record keeps its URL and video id.
    let stored = await b.core.store.get(id);
    for (let i = 0; i < 100 && stored?.media === undefined; i++) {
      await new Promise((r) => setTimeout(r, 50));
      stored = await b.core.store.get(id);
    }
    expect(stored?.result?.videos[0]).toMatchObject({ url: expectedVideoUrl(s, id), id: expect.any(String) });
    expect(stored?.media).toEqual([expect.objectContaining({ outcome: 'uploaded', filename: name })]);
    // The requester is told, once, and nobody else can be pinged by it: counted once the bot has stopped (its
    // outboxes drained), so no later mention can come.
    await f.waitFor(() => mentionsIn(f, [CH_A1]).length > 0, 10_000);
    await b.close();
    bot = undefined;
    const mentions = mentionsIn(f, [CH_A1]);
    expect(mentions).toHaveLength(1);
    expect(mentions[0]?.content.match(/<@!?\d+>/g)).toEqual([`<@${ALICE.id}>`]);
    const sent = f.requests.find((r) => r.rawBody?.includes(`<@${ALICE.id}>`));
    expect(JSON.parse(sent?.rawBody ?? '{}')).toMatchObject({ allowed_mentions: { users: [ALICE.id] } });
    expect(JSON.parse(sent?.rawBody ?? '{}').allowed_mentions.parse).toBeUndefined();
  });

  it('a result over the upload limit keeps Kling’s link (button and gallery) and says until when it lives; nothing is uploaded', async () => {
    const { s, f } = await setup({ bytes: 300_000 }, { attachmentSizeLimit: 200_000 });
    const rec = await f.sendCommand(video(CH_A1, ALICE, 'too big to carry'));
    await f.waitFor(() => cardIsFinal(s, cardOf(f, rec)) && embedText(cardOf(f, rec)).includes('Too large'), 15_000);
    const card = cardOf(f, rec);
    const url = expectedVideoUrl(s, taskIdOf(card) ?? '') ?? '';
    expect(card?.attachments).toEqual([]);
    expect(galleryUrls(card)).toEqual([url]);
    expect(linkUrls(card)).toContain(url);
    expect(embedText(card)).toMatch(
      /Too large to upload here \(300 kB, the limit here is 200 kB\)\. Kling's link works until \d{4}-\d\d-\d\d/,
    );
    expect(uploads(f)).toEqual([]);
  });

  it('a download that stalls mid-body is abandoned within its limit: the card is final with the link and a note, nothing truncated uploaded', async () => {
    const { s, f, b } = await setup({ bytes: 300_000, stallAfter: 100_000 });
    const rec = await f.sendCommand(video(CH_A1, ALICE, 'a stalled transfer'));
    await f.waitFor(
      () => cardIsFinal(s, cardOf(f, rec)) && embedText(cardOf(f, rec)).includes('could not be uploaded'),
      15_000,
    );
    // Given up by its idle clock (500 ms here: the stream's own, or undici's body timeout set to it, whichever
    // fires first), not by the total one (3 s) nor by anything else.
    expect(b.logs.join('\n')).toMatch(/"reason":"(download stalled \(500 ms without data\)|Body Timeout Error)"/);
    const card = cardOf(f, rec);
    expect(card?.attachments).toEqual([]);
    expect(uploads(f)).toEqual([]);
    expect(linkUrls(card)).toContain(expectedVideoUrl(s, taskIdOf(card) ?? ''));
    expect(b.logs.join('\n')).toContain('result download abandoned');
    // The upload was under way, streamed from the download, and cut off with it: Discord kept nothing.
    expect(f.requests.filter((r) => r.aborted)).toHaveLength(1);
  });
});

describe('Discord: a copy made after the fact, on Refresh', () => {
  it('a card whose upload failed, and a task from before uploads, get their copy on Refresh; the requester is not pinged again', async () => {
    let stalling = true;
    const { s, f, b } = await setup({ bytes: 300_000, stallAfter: () => (stalling ? 100_000 : undefined) });
    const scope = { platform: 'discord' as const, guildId: GUILD_A, channelId: CH_A1 };
    const quiet = () => b.core.outboxes.existing(scope)?.idle() ?? true;
    const failed = (rec: InteractionRecord) =>
      cardIsFinal(s, cardOf(f, rec)) && embedText(cardOf(f, rec)).includes('could not be uploaded');
    const first = await f.sendCommand(video(CH_A1, ALICE, 'first try stalls'));
    const old = await f.sendCommand(video(CH_A1, BOB, 'from before uploads'));
    await f.waitFor(() => failed(first) && failed(old) && mentionsIn(f, [CH_A1]).length === 2 && quiet(), 15_000);
    // The second stands for a task that finished before uploads existed, hours ago: no copies on its record.
    const oldId = taskIdOf(cardOf(f, old)) ?? '';
    await b.core.store.update(oldId, ({ media: _, ...rec }) => ({
      ...rec,
      ...(rec.finishedAt ? { finishedAt: rec.finishedAt - 2 * 3_600_000 } : {}),
    }));
    stalling = false;

    for (const rec of [first, old]) {
      const id = taskIdOf(cardOf(f, rec)) ?? '';
      await f.clickButton({ messageId: cardOf(f, rec)?.id ?? '', customId: `kb:r:${id}`, user: ALICE });
      await f.waitFor(() => (cardOf(f, rec)?.attachments.length ?? 0) === 1 && quiet(), 15_000);
      const card = cardOf(f, rec);
      expect(card?.attachments[0]).toMatchObject({ size: 300_000 });
      expect(card?.attachments[0]?.filename).toContain(id);
      expect(galleryUrls(card)).toEqual([`attachment://${card?.attachments[0]?.filename ?? ''}`]);
      expect(embedText(card)).not.toContain('could not be uploaded');
      expect((await b.core.store.get(id))?.media).toEqual([expect.objectContaining({ outcome: 'uploaded' })]);
    }
    // Each requester was told once, when the task finished; the copies made later ping nobody.
    expect(
      mentionsIn(f, [CH_A1])
        .map((m) => m.content.match(/<@!?\d+>/g)?.[0])
        .sort(),
    ).toEqual([`<@${ALICE.id}>`, `<@${BOB.id}>`].sort());
  });
});

describe('Discord: /task and /tasks lead to the card', () => {
  it('both link to the card message, as Discord links a message', async () => {
    const { f } = await setup({ bytes: 1000 });
    const rec = await f.sendCommand(video(CH_A1, ALICE, 'a lighthouse in fog'));
    await f.waitFor(() => (cardOf(f, rec)?.attachments.length ?? 0) > 0, 15_000);
    const card = cardOf(f, rec);
    // Discord's message link, from the fake's own record of the card.
    const link = `https://discord.com/channels/${GUILD_A}/${card?.channelId ?? ''}/${card?.id ?? ''}`;
    const answer = async (name: string, options: Array<{ name: string; type: number; value: string }>) => {
      const r = await f.sendCommand({ guildId: GUILD_A, channelId: CH_A1, user: ALICE, name, options });
      return f.waitFor(() => ephemeralAnswers(f, r).find((m) => !m.loading), 10_000);
    };
    const one = await answer('task', [{ name: 'id', type: 3, value: taskIdOf(card) ?? '' }]);
    expect(linkUrls(one)).toContain(link);
    expect(embedText(await answer('tasks', []))).toContain(`[card](${link})`);
  });
});
