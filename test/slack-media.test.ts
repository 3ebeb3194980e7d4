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
  const bot: InProcessBot = await startBotInProcess(sim, fake, env);
  cleanups.push(() => bot.close());
  return { sim, fake, bot };
}

const cardText = (blocks: unknown) => JSON.stringify(blocks ?? []);

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
