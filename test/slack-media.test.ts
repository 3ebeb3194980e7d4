/**
 * Slack end to end (real Bolt and WebClient against the fake Slack and the Kling simulator): a
 * finished video goes into its card's thread through Slack's external upload, whose comment
 * mentions the requester; over the cap it stays a link with its expiry; without files:write the
 * bot warns once at start and gives links only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startKlingSimulator, type KlingSimulator } from '../tools/kling-simulator/simulator.js';
import type { MediaServing } from '../tools/kling-simulator/media-bytes.js';
import type { FakeSlack, FakeSlackOptions } from './fakes/slack/index.js';
import {
  FAST_SIM,
  SECRETS,
  cardIsFinal,
  expectedVideoUrl,
  startBotInProcess,
  startFake,
  taskIdOfCard,
  type InProcessBot,
} from './helpers/slack-harness.js';

const T1 = 'T0MEDIA01';
const C1 = 'C0MEDIA01';
const U1 = 'U0ALICE01';
/** The README manifest's bot scopes. */
const SCOPES = ['commands', 'chat:write', 'files:write'];
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function setup(
  media: MediaServing,
  fakeOptions: Partial<FakeSlackOptions> = { scopes: SCOPES },
  env: Record<string, string> = {},
) {
  const sim: KlingSimulator = await startKlingSimulator({
    auth: { accessKey: SECRETS.klingAccessKey, secretKey: SECRETS.klingSecretKey },
    timing: FAST_SIM,
    media,
  });
  cleanups.push(() => sim.close());
  const fake: FakeSlack = await startFake([{ id: T1, domain: 'acme', channels: [C1] }], fakeOptions);
  cleanups.push(() => fake.close());
  // Short download clocks, so a stall is given up within the test.
  const bot: InProcessBot = await startBotInProcess(sim, fake, env, { mediaLimits: { idleMs: 500, totalMs: 3000 } });
  cleanups.push(() => bot.close());
  return { sim, fake, bot };
}

const cardText = (blocks: unknown) => JSON.stringify(blocks ?? []);
const IN_THREAD = "in this card's thread";
const UPLOADING = "uploading a copy to this card's thread";
/** The card's edits and the thread upload's completion, in the order Slack received them. */
const cardEditsAndCompletion = (fake: FakeSlack) =>
  fake.calls
    .filter((c) => c.method === 'chat.update' || c.method === 'files.completeUploadExternal')
    .map((c) => (c.method === 'chat.update' ? cardText(c.params['blocks']) : 'completed'));

describe('Slack: results uploaded into the card thread', () => {
  it('a finished video is shared in its card’s thread, whole, with one comment that mentions the requester; the card says so', async () => {
    const { sim, fake } = await setup({ bytes: 300_000 });
    await fake.sendCommand({ teamId: T1, channelId: C1, userId: U1, command: '/video', text: 'A red fox in the snow' });
    await fake.waitFor(() => fake.files.sharedIn(C1).length === 1, 15_000);
    const [card] = fake.messagesIn(C1);
    if (!card) throw new Error('no card');
    await fake.waitFor(() => cardText(card.blocks).includes("in this card's thread"), 10_000);
    const id = taskIdOfCard(card.blocks) ?? '';
    const [upload] = fake.files.sharedIn(C1, card.ts);
    expect(upload).toMatchObject({
      filename: `a-red-fox-in-the-snow-${id}.mp4`,
      length: 300_000,
      received: 300_000,
      shared: { channel: C1, threadTs: card.ts, initialComment: `<@${U1}> your video is ready.` },
    });
    expect(cardIsFinal(sim, card)).toBe(true);
    expect(cardText(card.blocks)).toContain(expectedVideoUrl(sim, id));
    expect(cardText(card.blocks)).not.toContain('Links expire');
    // The card says the video is in its thread only once it is there; until then, that it is on its way.
    const order = cardEditsAndCompletion(fake);
    const completed = order.indexOf('completed');
    expect(order.slice(0, completed).filter((t) => t.includes(IN_THREAD))).toEqual([]);
    expect(order[completed - 1]).toContain(UPLOADING);
    expect(order.slice(completed + 1).some((t) => t.includes(IN_THREAD) && !t.includes(UPLOADING))).toBe(true);
    expect(cardText(card.blocks)).not.toContain(UPLOADING);
    // Mentioned once: no other message or comment names anyone.
    const mentions = [
      ...fake.messages.filter((m) => m.text.includes('<@')).map((m) => m.text),
      ...fake.files.sharedIn(C1).flatMap((u) => (u.shared?.initialComment ? [u.shared.initialComment] : [])),
    ];
    expect(mentions).toEqual([`<@${U1}> your video is ready.`]);
  });

  it('a result over the cap keeps Kling’s link and its expiry; nothing is shared', async () => {
    const { sim, fake } = await setup({ bytes: 300_000 }, { scopes: SCOPES, maxFileBytes: 200_000 });
    await fake.sendCommand({ teamId: T1, channelId: C1, userId: U1, command: '/video', text: 'too big' });
    await fake.waitFor(() => {
      const [card] = fake.messagesIn(C1);
      return card !== undefined && cardIsFinal(sim, card) && cardText(card.blocks).includes("Kling's link works until");
    }, 15_000);
    expect(fake.files.sharedIn(C1)).toEqual([]);
  });

  it('without files:write: one warning at start, and the card keeps Kling’s link', async () => {
    const { sim, fake, bot } = await setup({ bytes: 1000 }, { scopes: ['commands', 'chat:write'] });
    expect(bot.logs.filter((l) => l.includes('files:write'))).toHaveLength(1);
    await fake.sendCommand({ teamId: T1, channelId: C1, userId: U1, command: '/video', text: 'no scope' });
    await fake.waitFor(() => fake.messagesIn(C1).some((m) => cardIsFinal(sim, m)), 15_000);
    expect(fake.calls.filter((c) => c.method.startsWith('files.'))).toEqual([]);
    expect(cardText(fake.messagesIn(C1)[0]?.blocks)).toContain('Links expire');
  });
});

describe('Slack: /task and /tasks lead to the card', () => {
  it('both link to the card message by the permalink Slack gives (asked once, then kept)', async () => {
    const { fake } = await setup({ bytes: 1000 });
    await fake.sendCommand({ teamId: T1, channelId: C1, userId: U1, command: '/video', text: 'a lighthouse in fog' });
    await fake.waitFor(() => fake.files.sharedIn(C1).length === 1, 15_000);
    const [card] = fake.messagesIn(C1);
    if (!card) throw new Error('no card');
    const id = taskIdOfCard(card.blocks) ?? '';
    // Slack's permalink of the card, in the fake's workspace `acme`, from the card's own channel and ts.
    const permalink = `https://acme.slack.com/archives/${C1}/p${card.ts.replace('.', '')}`;
    const answer = async (command: string, text: string) => {
      const r = await fake.sendCommand({ teamId: T1, channelId: C1, userId: U1, command, text });
      return fake.waitFor(() => fake.ephemerals.find((e) => e.responseUrlId === r.responseUrlId), 5000);
    };
    const one = await answer('/task', id);
    const buttons = (one.blocks ?? []).flatMap((b) => (b['type'] === 'actions' ? (b['elements'] as unknown[]) : []));
    expect(buttons).toContainEqual(expect.objectContaining({ url: permalink }));
    const list = await answer('/tasks', '');
    expect(cardText(list.blocks)).toContain(`<${permalink}|card>`);
    const asked = fake.calls.filter((c) => c.method === 'chat.getPermalink');
    expect(asked.map((c) => [c.params['channel'], c.params['message_ts']])).toEqual([[C1, card.ts]]);
  });
});

/** The card in C1 once it is final and says its copy could not be uploaded. */
const failedCard = (sim: KlingSimulator, fake: FakeSlack) => {
  const [card] = fake.messagesIn(C1);
  return card && cardIsFinal(sim, card) && cardText(card.blocks).includes('could not be uploaded') ? card : undefined;
};
const completions = (fake: FakeSlack) => fake.calls.filter((c) => c.method === 'files.completeUploadExternal');

describe('Slack: a download streamed into the upload', () => {
  it('a download that stalls mid-stream is abandoned within its limit: the card is final with the link and a note; the cut-off upload is never completed, nothing shared', async () => {
    const { sim, fake, bot } = await setup({ bytes: 300_000, stallAfter: 100_000 });
    const started = Date.now();
    await fake.sendCommand({ teamId: T1, channelId: C1, userId: U1, command: '/video', text: 'a stalled transfer' });
    const card = await fake.waitFor(() => failedCard(sim, fake), 15_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(cardText(card.blocks)).toContain(expectedVideoUrl(sim, taskIdOfCard(card.blocks) ?? ''));
    expect(fake.files.sharedIn(C1)).toEqual([]);
    expect(completions(fake)).toEqual([]);
    // The bytes went from Kling to the upload URL as they came, and the POST was cut off short of them all.
    const uploads = [...fake.files.uploads.values()];
    expect(uploads).toEqual([expect.objectContaining({ length: 300_000, posted: true })]);
    expect(uploads[0]?.received).toBeUndefined();
    expect(uploads[0]?.refused).toMatch(/^cut off after [1-9]\d* of 300000 bytes$|^expected 300000 bytes, got [1-9]/);
    expect(bot.logs.join('\n')).toContain('nothing was shared');
    // It never said the video was in its thread: first that a copy was on its way, then the link and the note.
    const edits = cardEditsAndCompletion(fake);
    expect(edits.filter((t) => t.includes(IN_THREAD) && !t.includes(UPLOADING))).toEqual([]);
    expect(edits.some((t) => t.includes(UPLOADING))).toBe(true);
    expect(cardText(card.blocks)).not.toContain(UPLOADING);
  });

  it('Refresh after a failed upload uploads the copy once, into the card’s thread; the requester is not pinged again', async () => {
    let stalling = true;
    const { sim, fake, bot } = await setup({ bytes: 300_000, stallAfter: () => (stalling ? 100_000 : undefined) });
    await fake.sendCommand({ teamId: T1, channelId: C1, userId: U1, command: '/video', text: 'first try stalls' });
    const card = await fake.waitFor(() => failedCard(sim, fake), 15_000);
    const quiet = () => bot.core.outboxes.existing({ platform: 'slack', guildId: T1, channelId: C1 })?.idle() ?? true;
    // The requester heard it finished, in the thread, even though the copy failed.
    await fake.waitFor(() => quiet() && fake.messages.some((m) => m.text.includes(`<@${U1}>`)), 10_000);
    stalling = false;
    await fake.clickButton({ teamId: T1, channelId: C1, userId: U1, actionId: 'kb_refresh', messageTs: card.ts });
    await fake.waitFor(() => fake.files.sharedIn(C1, card.ts).length > 0 && quiet(), 15_000);
    const id = taskIdOfCard(card.blocks) ?? '';
    expect(fake.files.sharedIn(C1, card.ts)).toEqual([
      expect.objectContaining({ filename: `first-try-stalls-${id}.mp4`, length: 300_000, received: 300_000 }),
    ]);
    expect(completions(fake)).toHaveLength(1);
    expect(fake.files.sharedIn(C1)[0]?.shared?.initialComment).toBeUndefined();
    expect(cardText(card.blocks)).toContain("in this card's thread");
    expect(cardText(card.blocks)).not.toContain('could not be uploaded');
    const mentions = fake.messages.filter((m) => m.text.includes('<@'));
    expect(mentions.map((m) => m.text)).toEqual([`<@${U1}> your video is ready.`]);
  });
});
