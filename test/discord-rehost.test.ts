/**
 * `npm run rehost` end to end: tasks finished by the bot (real discord.js against the fake) whose
 * uploads never happened, aged in the store; then the rehost program, on the same SQLite file,
 * uploads what expires within 7 days onto the cards (through the channel route, the tokens long
 * dead), reports too large and gone, and leaves other cards alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rehostProgram } from '../src/platforms/rehost-program.js';
import { openStorage } from '../src/store/storage.js';
import type { TaskStore } from '../src/store/task-store.js';
import { startKlingSimulator, type KlingSimulator } from '../tools/kling-simulator/simulator.js';
import type { FakeDiscord, InteractionRecord } from './fakes/discord/index.js';
import { closeInOrder } from './helpers/close-in-order.js';
import {
  ALICE,
  BOB,
  CH_A1,
  CH_A2,
  CH_B1,
  FAST_SIM,
  GUILD_B,
  SECRETS,
  botEnv,
  cardIsFinal,
  cardOf,
  embedText,
  galleryUrls,
  mentionsIn,
  startBot,
  startFake,
  taskIdOf,
  video,
} from './helpers/discord-harness.js';

const DAY = 86_400_000;
const CHANNELS = [CH_A1, CH_A2, CH_B1];
const dir = mkdtempSync(join(tmpdir(), 'kling-bot-rehost-'));
let sim: KlingSimulator | undefined;
let fake: FakeDiscord | undefined;

afterAll(async () => {
  await closeInOrder([fake, sim]);
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run rehost', () => {
  it('uploads the copies of stored tasks whose links die within 7 days; too large and gone are counted; other cards untouched', async () => {
    let stalling = true;
    let bigName = '';
    const s = (sim = await startKlingSimulator({
      auth: { accessKey: SECRETS.klingAccessKey, secretKey: SECRETS.klingSecretKey },
      timing: FAST_SIM,
      media: {
        bytes: (name) => (name === bigName ? 300_000 : 100_000),
        stallAfter: () => (stalling ? 50_000 : undefined),
      },
    }));
    const f = (fake = await startFake({ attachmentSizeLimit: 200_000 }));
    const env = botEnv(s, f, { STORE_URL: `sqlite://${join(dir, 'store.sqlite')}` });

    // The bot finishes five tasks while every download stalls: no card gets its copy.
    const bot = await startBot(s, f, { env, core: { mediaLimits: { idleMs: 300, totalMs: 2000 } } });
    const names = ['soon', 'too big', 'gone at kling', 'recent', 'long expired'];
    // Spread over three channels, so their writes are not all paced by one channel's budget.
    const where = [CH_A1, CH_A2, CH_B1, CH_A2, CH_B1];
    const recs = await Promise.all(
      names.map((name, i) => {
        const ch = where[i] ?? CH_A1;
        return f.sendCommand(video(ch, ch === CH_B1 ? BOB : ALICE, name, ch === CH_B1 ? GUILD_B : undefined));
      }),
    );
    const failed = (r: InteractionRecord) =>
      cardIsFinal(s, cardOf(f, r)) && embedText(cardOf(f, r)).includes('could not be uploaded');
    await f.waitFor(() => recs.every(failed) && mentionsIn(f, CHANNELS).length === names.length, 20_000);
    await bot.close();
    const [soon, big, gone, recent, expired] = recs.map((r) => taskIdOf(cardOf(f, r)) ?? '');

    // Age them: three die within 7 days, one is recent, one died already. The interaction tokens are long dead.
    const storage = await openStorage(env['STORE_URL'] ?? '');
    const store = storage.tasks;
    const age = (id: string | undefined, daysAgo: number, change: Parameters<TaskStore['update']>[1] = (r) => r) =>
      store.update(id ?? '', (r) =>
        change({ ...r, finishedAt: Date.now() - daysAgo * DAY, card: { ...r.card, tokenExpiresAt: 0 } }),
      );
    // "soon" stands for a task from before uploads: no copies on its record at all.
    await age(soon, 25, ({ media: _, ...r }) => r);
    await age(big, 26);
    await age(gone, 27, (r) => ({
      ...r,
      result: { videos: [{ id: 'x', url: `${s.origin}/media/404.mp4` }], images: [] },
    }));
    await age(expired, 31);
    bigName = `${(await store.get(big ?? ''))?.klingTaskId ?? ''}.mp4`;
    await storage.close();
    stalling = false;
    const editsBefore = (r: InteractionRecord | undefined) => (r ? (cardOf(f, r)?.edits.length ?? 0) : 0);
    const untouched = [recs[3], recs[4]].map(editsBefore);

    let out = '';
    const code = await rehostProgram(env, {
      out: { write: (t: string) => (out += t) },
      log: { write: () => undefined },
      limits: { idleMs: 500, totalMs: 3000 },
    });
    expect(code, out).toBe(0);
    expect(out).toContain(
      'rehost: 4 tasks whose Kling links die within 7 days: 1 uploaded, 1 too large, 2 gone at Kling, 0 failed',
    );
    expect(out).toMatch(/\[#{24}\] 4\/4 /);

    const card = cardOf(f, recs[0] as InteractionRecord);
    expect(card?.attachments.map((a) => a.size)).toEqual([100_000]);
    expect(card?.attachments[0]?.filename).toBe(`soon-${soon ?? ''}.mp4`);
    expect(galleryUrls(card)).toEqual([`attachment://soon-${soon ?? ''}.mp4`]);
    // Through the bot's channel route (the token had expired), as an edit of the card itself.
    const upload = f.requests.find((r) => r.method === 'PATCH' && r.rawBody.includes(`soon-${soon ?? ''}.mp4`));
    expect(upload?.path).toBe(`/channels/${CH_A1}/messages/${card?.id ?? ''}`);
    expect(embedText(cardOf(f, recs[1] as InteractionRecord))).toContain('Too large to upload here');
    expect(cardOf(f, recs[1] as InteractionRecord)?.attachments).toEqual([]);
    expect(embedText(cardOf(f, recs[2] as InteractionRecord))).toContain('Kling no longer has this result');
    expect([recs[3], recs[4]].map(editsBefore)).toEqual(untouched);
    // Nobody is pinged by copies made weeks later.
    expect(mentionsIn(f, CHANNELS)).toHaveLength(names.length);

    const afterStorage = await openStorage(env['STORE_URL'] ?? '');
    const after = afterStorage.tasks;
    expect((await after.get(soon ?? ''))?.media).toEqual([expect.objectContaining({ outcome: 'uploaded' })]);
    expect((await after.get(recent ?? ''))?.media).toEqual([expect.objectContaining({ outcome: 'failed' })]);
    expect((await after.get(expired ?? ''))?.media).toEqual([expect.objectContaining({ outcome: 'failed' })]);
    await afterStorage.close();
  }, 60_000);
});
