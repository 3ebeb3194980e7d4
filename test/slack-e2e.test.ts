import { afterEach, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../src/domain.js';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import { blockTexts, type FakeSlack, type MessageRecord } from './fakes/slack/index.js';
import {
  cardIsFinal,
  expectedVideoUrl,
  SECRETS,
  startBotInProcess,
  startFake,
  startSim,
  startSlackRig,
  taskIdOfCard,
  type InProcessBot,
} from './helpers/slack-harness.js';
import { pageOf } from '../src/store/paging.js';
import { createTask } from '../src/store/task-store.js';

/**
 * The unmodified Bolt app, wired exactly as `npm start` wires it, driven through the fake Slack
 * (signed requests in, Web API out) against the Kling simulator, all on loopback.
 */

const T1 = 'T0ACME';
const T2 = 'T0OTHER';
const C1 = 'C0GENERAL';
const C2 = 'C0VIDEOS';
const C3 = 'C0OTHERGEN';
const U1 = 'U0ALICE';

let sim: KlingSimulator;
let fake: FakeSlack;
let bot: InProcessBot;
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function setup(env: Record<string, string> = {}) {
  const teams = [
    { id: T1, domain: 'acme', channels: [C1, C2] },
    { id: T2, domain: 'other', channels: [C3] },
  ];
  ({ sim, fake, bot } = await startSlackRig(teams, env, (close) => cleanups.push(close)));
}

const video = (text: string, channelId = C1, userId = U1, teamId = T1) =>
  fake.sendCommand({ teamId, channelId, userId, command: '/video', text });

const ephemeralText = (responseUrlId: string) =>
  fake.ephemerals
    .filter((e) => e.responseUrlId === responseUrlId)
    .map((e) => [e.text, ...blockTexts(e.blocks)].join('\n'))
    .join('\n');

async function waitFinal(messages: () => MessageRecord[], count: number, timeoutMs: number) {
  return fake.waitFor(() => {
    const list = messages();
    return list.length === count && list.every((m) => cardIsFinal(sim, m)) && list;
  }, timeoutMs);
}

describe('Slack end to end', () => {
  it('/video acks within 3 s, posts a card and edits it with chat.update until it shows the video; one create at Kling', async () => {
    await setup();
    const r = await video('a red fox running through snow --ar 9:16 --duration 10 --mode pro --neg "blurry"');
    expect(r.status).toBe(200);
    expect(r.timedOut).toBe(false);
    expect(r.ackMs).toBeLessThan(3000);

    const [card] = await waitFinal(() => fake.messagesIn(C1), 1, 10_000);
    if (!card) throw new Error('no card');
    const taskId = taskIdOfCard(card.blocks);
    if (!taskId) throw new Error('card has no task id');
    expect(sim.stats.creates).toBe(1);
    expect(sim.createsFor(taskId)).toBe(1);
    // What Kling got follows the API's spelling of the options.
    expect(sim.task(taskId)?.body).toMatchObject({
      prompt: 'a red fox running through snow',
      aspect_ratio: '9:16',
      duration: '10',
      mode: 'pro',
      negative_prompt: 'blurry',
    });

    // Posted with chat.postMessage, edited in place with chat.update only (never response_url).
    expect(card.via).toBe('chat.postMessage');
    expect(card.edits.length).toBeGreaterThan(0);
    expect(card.edits.every((e) => e.via === 'chat.update')).toBe(true);
    expect(fake.calls.filter((c) => c.kind === 'response_url')).toHaveLength(0);
    // The final card: link button to the video, Regenerate / Refresh / Delete, the expiry date.
    const url = expectedVideoUrl(sim, taskId);
    const texts = blockTexts(card.blocks).join('\n');
    expect(texts).toContain('Done');
    expect(texts).toContain('Links expire');
    expect(JSON.stringify(card.blocks)).toContain(`"url":"${url}"`);
    const values = JSON.stringify(card.blocks);
    for (const code of ['r', 'g', 'd']) expect(values).toContain(`kb:${code}:${taskId}`);
  });

  it('10 tasks over 2 channels all end on their own video URL', async () => {
    await setup();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        video(`scene number ${i}: a lighthouse in a storm`, i % 2 === 0 ? C1 : C2, `U0USER${i}`),
      ),
    );
    for (const r of results) expect(r.status).toBe(200);
    await waitFinal(() => [...fake.messagesIn(C1), ...fake.messagesIn(C2)], 10, 30_000);
    const ids = [...fake.messagesIn(C1), ...fake.messagesIn(C2)].map((m) => taskIdOfCard(m.blocks));
    expect(new Set(ids).size).toBe(10);
    expect(sim.stats.creates).toBe(10);
    // Each channel's cards were edited in that channel only, and no edit was refused by Slack.
    expect(
      fake.callsOf('chat.update').filter((c) => c.status === 200 && (c.response as { ok?: boolean }).ok === false),
    ).toHaveLength(0);
  });

  it('bad signatures and stale timestamps get 401 and nothing runs', async () => {
    await setup();
    const bad = await fake.sendCommand({
      teamId: T1,
      channelId: C1,
      userId: U1,
      command: '/video',
      text: 'a cat',
      signature: 'bad',
    });
    const missing = await fake.sendCommand({
      teamId: T1,
      channelId: C1,
      userId: U1,
      command: '/video',
      text: 'a cat',
      signature: 'missing',
    });
    const stale = await fake.sendCommand({
      teamId: T1,
      channelId: C1,
      userId: U1,
      command: '/video',
      text: 'a cat',
      timestampOffsetSec: -600,
    });
    const staleClick = await fake.clickButton({
      teamId: T1,
      channelId: C1,
      userId: U1,
      actionId: 'kb_regenerate',
      value: 'kb:g:kb0000000000000',
      timestampOffsetSec: -600,
    });
    expect([bad.status, missing.status, stale.status, staleClick.status]).toEqual([401, 401, 401, 401]);
    // A signed command after them, refused privately (no prompt): once it is answered, anything the
    // four had set going would have shown too. Its answer is the only one.
    const after = await fake.sendCommand({ teamId: T1, channelId: C1, userId: U1, command: '/video', text: '' });
    await fake.waitFor(() => ephemeralText(after.responseUrlId) || undefined, 5000);
    expect(sim.calls).toHaveLength(0);
    expect(fake.messages).toHaveLength(0);
    expect(fake.ephemerals).toHaveLength(1);
    expect(
      await pageOf(bot.core.store, { platform: 'slack', guildId: T1, channelId: C1, page: 1, pageSize: 5 }),
    ).toMatchObject({ total: 0 });
  });

  it('bad input gets an ephemeral error naming the problem and nothing goes to Kling', async () => {
    await setup();
    const cases: Array<{ command: string; text: string; mentions: string[] }> = [
      { command: '/video', text: '', mentions: ['prompt', 'required'] },
      { command: '/video', text: 'x'.repeat(3000), mentions: ['prompt', '2,500'] },
      { command: '/video', text: 'a cat --ar 4:5', mentions: ['aspect_ratio', '16:9'] },
      { command: '/video', text: 'a cat --duration 7', mentions: ['duration'] },
      { command: '/animate', text: 'not-a-url a cat waves', mentions: ['image', 'http'] },
      { command: '/animate', text: '', mentions: ['image'] },
      { command: '/image', text: 'a bowl of fruit --n 12', mentions: ['n', '1 to 9'] },
      { command: '/tasks', text: '--page-size 99', mentions: ['page_size'] },
    ];
    for (const c of cases) {
      const r = await fake.sendCommand({ teamId: T1, channelId: C1, userId: U1, command: c.command, text: c.text });
      expect(r.status).toBe(200);
      const text = await fake.waitFor(() => ephemeralText(r.responseUrlId) || undefined, 5000);
      for (const word of c.mentions) expect(text, `${c.command} ${c.text.slice(0, 40)}`).toContain(word);
    }
    expect(sim.calls).toHaveLength(0);
    expect(fake.messages).toHaveLength(0);
  });

  it('/animate takes the image URL as its first word', async () => {
    await setup();
    const r = await fake.sendCommand({
      teamId: T1,
      channelId: C1,
      userId: U1,
      command: '/animate',
      text: '<https://example.com/cat.png> the cat waves --duration 5',
    });
    expect(r.status).toBe(200);
    await fake.waitFor(() => sim.stats.creates === 1, 5000);
    const [task] = sim.tasks();
    expect(task?.kind).toBe('image2video');
    expect(task?.body).toMatchObject({ image: 'https://example.com/cat.png', prompt: 'the cat waves', duration: '5' });
    expect(task?.body).not.toHaveProperty('aspect_ratio');
  });

  it('rate-limited chat.update: every card completes and Retry-After is honoured', async () => {
    await setup();
    fake.rateLimit('chat.update', { times: 4, retryAfterSec: 1 });
    await Promise.all([
      video('a paper boat on a river', C1, 'U0ONE'),
      video('a paper plane over a city', C1, 'U0TWO'),
      video('a kite on a beach', C2, 'U0THREE'),
    ]);
    await waitFinal(() => [...fake.messagesIn(C1), ...fake.messagesIn(C2)], 3, 30_000);
    const limited = fake.rateLimits.filter((r) => r.method === 'chat.update');
    expect(limited.filter((r) => r.reason === 'forced')).toHaveLength(4);
    for (const r of limited) expect(r.honored, `429 on ${r.channel} at ${r.at}`).toBe(true);
    // Waiting after a 429 is not enough: none may be the bot's own (sent while a Retry-After ran, or past a limit).
    expect(fake.rateLimits.filter((r) => !r.forced).map((r) => `${r.method} ${r.reason} ${r.channel ?? ''}`)).toEqual(
      [],
    );
  });

  it('/tasks pages with Next and Prev, and never shows another workspace’s tasks', async () => {
    await setup();
    const t0 = Date.now() - 3_600_000;
    const seed = async (guildId: string, channelId: string, n: number, prefix: string) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const id = `kb${prefix}${String(i).padStart(3, '0')}`;
        const rec: TaskRecord = {
          id,
          scope: { platform: 'slack', guildId, channelId, userId: U1, userName: 'alice' },
          request: {
            kind: 'text2video',
            prompt: `seeded ${prefix} ${i}`,
            model: 'kling-v2-1-master',
            mode: 'std',
            duration: '5',
            aspect_ratio: '16:9',
          },
          state: 'succeed',
          klingTaskId: `9${prefix}${i}`,
          result: { videos: [{ id: `v${i}`, url: `https://cdn.example.com/${id}.mp4`, duration: '5.1' }], images: [] },
          createdAt: t0 + i * 1000,
          updatedAt: t0 + i * 1000,
          finishedAt: t0 + i * 1000 + 500,
        };
        await createTask(bot.core.store, rec);
        ids.push(id);
      }
      return ids.reverse(); // newest first, as /tasks lists them
    };
    const ours = await seed(T1, C1, 12, 'acme');
    const theirs = await seed(T2, C3, 3, 'other');
    const rowIds = (texts: string) => [...texts.matchAll(/`(kb[0-9a-z]+)`/g)].map((m) => m[1]);

    const r = await fake.sendCommand({
      teamId: T1,
      channelId: C1,
      userId: U1,
      command: '/tasks',
      text: '--page-size 5',
    });
    const page1 = await fake.waitFor(() => fake.ephemerals.find((e) => e.responseUrlId === r.responseUrlId), 5000);
    expect(rowIds(blockTexts(page1.blocks).join('\n'))).toEqual(ours.slice(0, 5));
    expect(blockTexts(page1.blocks).join('\n')).toContain('page 1 of 3');

    await fake.clickButton({
      teamId: T1,
      channelId: C1,
      userId: U1,
      actionId: 'kb_next',
      ephemeral: { responseUrlId: r.responseUrlId },
    });
    await fake.waitFor(() => page1.edits.length === 1, 5000);
    expect(rowIds(blockTexts(page1.blocks).join('\n'))).toEqual(ours.slice(5, 10));

    await fake.clickButton({
      teamId: T1,
      channelId: C1,
      userId: U1,
      actionId: 'kb_next',
      ephemeral: { responseUrlId: r.responseUrlId },
    });
    await fake.waitFor(() => page1.edits.length === 2, 5000);
    expect(rowIds(blockTexts(page1.blocks).join('\n'))).toEqual(ours.slice(10, 12));

    await fake.clickButton({
      teamId: T1,
      channelId: C1,
      userId: U1,
      actionId: 'kb_prev',
      ephemeral: { responseUrlId: r.responseUrlId },
    });
    await fake.waitFor(() => page1.edits.length === 3, 5000);
    expect(rowIds(blockTexts(page1.blocks).join('\n'))).toEqual(ours.slice(5, 10));
    // Paging replaced the one ephemeral; it never posted new ones.
    expect(fake.ephemerals).toHaveLength(1);

    // The same user in the other workspace sees only that workspace's tasks, and vice versa.
    const mine1 = await fake.sendCommand({
      teamId: T1,
      channelId: C1,
      userId: U1,
      command: '/tasks',
      text: '--scope mine --page-size 25',
    });
    const mine2 = await fake.sendCommand({
      teamId: T2,
      channelId: C3,
      userId: U1,
      command: '/tasks',
      text: '--scope mine --page-size 25',
    });
    const list1 = await fake.waitFor(() => fake.ephemerals.find((e) => e.responseUrlId === mine1.responseUrlId), 5000);
    expect(rowIds(blockTexts(list1.blocks).join('\n'))).toEqual(ours);
    // The other workspace is not the token's own: refused in the acknowledgement, its tasks never listed.
    expect(mine2.body).toContain('serves only the workspace it was installed in');
    expect(mine2.body).not.toContain(theirs[0] ?? 'none');
    const cross = await fake.sendCommand({
      teamId: T2,
      channelId: C3,
      userId: U1,
      command: '/task',
      text: ours[0] ?? '',
    });
    expect(cross.body).toContain('serves only the workspace it was installed in');
    expect(cross.body).not.toContain(ours[0] ?? 'none');
    const refusedUrls: Array<string | undefined> = [mine2.responseUrlId, cross.responseUrlId];
    expect(fake.ephemerals.filter((e) => refusedUrls.includes(e.responseUrlId))).toEqual([]);
  });

  it('another workspace (app shared or distributed): /video, /credits and a Regenerate click are refused, nothing reaches Kling', async () => {
    await setup();
    await video('ours first');
    const [card] = await waitFinal(() => fake.messagesIn(C1), 1, 10_000);
    const id = taskIdOfCard(card?.blocks) ?? '';
    const callsBefore = sim.calls.length;
    const vid = await video('free videos', C3, 'U0STRANGER', T2);
    const credits = await fake.sendCommand({
      teamId: T2,
      channelId: C3,
      userId: 'U0STRANGER',
      command: '/credits',
      text: '',
    });
    for (const r of [vid, credits]) {
      expect(r.status).toBe(200);
      expect(r.body).toContain('serves only the workspace it was installed in');
    }
    // A click carrying our card's Regenerate value, from the other workspace.
    const click = await fake.clickButton({
      teamId: T2,
      channelId: C3,
      userId: 'U0STRANGER',
      actionId: 'kb_regenerate',
      value: `kb:g:${id}`,
    });
    expect(click.status).toBe(200);
    const refusals = () => bot.logs.filter((l) => l.includes('slack request refused'));
    await fake.waitFor(() => refusals().length === 3 || undefined, 5000);
    for (const line of refusals()) expect(line).toContain(T2);
    expect(sim.calls.length).toBe(callsBefore);
    expect(fake.messagesIn(C3)).toEqual([]);
    expect(fake.messagesIn(C1)).toHaveLength(1);
  });

  it('card buttons: Regenerate posts a new card, Delete removes the card, link buttons are just acknowledged', async () => {
    await setup();
    await video('a hummingbird in slow motion');
    const [card] = await waitFinal(() => fake.messagesIn(C1), 1, 10_000);
    if (!card) throw new Error('no card');

    const link = await fake.clickButton({
      teamId: T1,
      channelId: C1,
      userId: U1,
      actionId: 'kb_open_0',
      messageTs: card.ts,
    });
    expect(link.status).toBe(200);

    const regen = await fake.clickButton({
      teamId: T1,
      channelId: C1,
      userId: 'U0BOB',
      actionId: 'kb_regenerate',
      messageTs: card.ts,
    });
    expect(regen.status).toBe(200);
    const cards = await waitFinal(() => fake.messagesIn(C1), 2, 10_000);
    expect(sim.stats.creates).toBe(2);
    expect(taskIdOfCard(cards[1]?.blocks)).not.toBe(taskIdOfCard(card.blocks));

    // Someone else may not delete Alice's card; Alice may.
    const refused = await fake.clickButton({
      teamId: T1,
      channelId: C1,
      userId: 'U0BOB',
      actionId: 'kb_delete',
      messageTs: card.ts,
    });
    expect(await fake.waitFor(() => ephemeralText(refused.responseUrlId) || undefined, 5000)).toContain(
      'Only the person',
    );
    expect(card.deleted).toBe(false);
    const del = await fake.clickButton({
      teamId: T1,
      channelId: C1,
      userId: U1,
      actionId: 'kb_delete',
      messageTs: card.ts,
    });
    await fake.waitFor(() => card.deleted, 5000);
    expect(await fake.waitFor(() => ephemeralText(del.responseUrlId) || undefined, 5000)).toContain('deleted');
    // The click's own message was not replaced by the ephemeral answers.
    expect(card.edits.some((e) => e.via === 'response_url')).toBe(false);
  });

  it('a private channel the bot is not in: the command is refused before anything is paid for (never a task without a card)', async () => {
    sim = await startSim();
    cleanups.push(() => sim.close());
    fake = await startFake([{ id: T1, channels: [C1, C2] }], { notInChannel: [C2] });
    cleanups.push(() => fake.close());
    bot = await startBotInProcess(sim, fake);
    cleanups.push(() => bot.close());
    const r = await video('a quiet forest at night', C2);
    const text = await fake.waitFor(() => ephemeralText(r.responseUrlId) || undefined, 5000);
    expect(text).toMatch(/not in this channel.*Invite it first.*Nothing was sent to Kling/);
    expect(fake.messages).toHaveLength(0);
    expect(sim.calls.filter((c) => c.op === 'create')).toHaveLength(0);
    expect(
      await pageOf(bot.core.store, { platform: 'slack', guildId: T1, channelId: C2, page: 1, pageSize: 5 }),
    ).toMatchObject({ total: 0 });
    // The fake answers as Slack does for such a channel.
    expect(fake.callsOf('conversations.info').at(-1)?.response).toMatchObject({
      ok: true,
      channel: { is_private: true, is_member: false },
    });
    // In a channel it can post in, the same command runs: one check per channel, then cached.
    await video('a quiet forest at night', C1);
    await waitFinal(() => fake.messagesIn(C1), 1, 10_000);
    await video('a second forest', C1);
    await waitFinal(() => fake.messagesIn(C1), 2, 10_000);
    expect(fake.callsOf('conversations.info').filter((c) => JSON.stringify(c).includes(C1))).toHaveLength(1);
  });

  it('no secret appears in anything sent to Slack or in the log', async () => {
    await setup({ LOG_LEVEL: 'debug' });
    await video('a snow globe being shaken');
    await waitFinal(() => fake.messagesIn(C1), 1, 10_000);
    await video('');
    await fake.sendCommand({
      teamId: T1,
      channelId: C1,
      userId: U1,
      command: '/video',
      text: 'a cat',
      signature: 'bad',
    });
    await fake.sendCommand({ teamId: T1, channelId: C1, userId: U1, command: '/quota', text: '' });
    await fake.waitFor(() => fake.ephemerals.length === 2, 5000);

    // Authorization headers necessarily carry the bot token; everything else must not.
    const recorded = JSON.stringify({
      calls: fake.calls.map((c) => ({ ...c, headers: { ...c.headers, authorization: undefined } })),
      messages: fake.messages,
      ephemerals: fake.ephemerals,
      kling: sim.calls.map((c) => ({ ...c, authorization: undefined })),
    });
    const logs = bot.logs.join('');
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of Object.values(SECRETS)) {
      expect(recorded.includes(secret), `secret in Slack/Kling records`).toBe(false);
      expect(logs.includes(secret), `secret in the log`).toBe(false);
    }
  });
});
