/**
 * Kling's new standard over a task's life (issue 19), against the simulator: a callback in the new
 * shape moves the card at once; a model the table does not know reaches Kling as given; a model
 * Kling refuses ends in plain words; and a task keeps the standard it was created on across a
 * restart with KLING_API changed (two lives of the bot on one SQLite store).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AK,
  API_KEY,
  Cleanup,
  makeCore,
  makeInv,
  makeIo,
  SK,
  startSim,
  waitAllFinal,
  waitFor,
  type CoreRig,
} from './helpers/core-harness.js';
import { botWithHttp } from './helpers/core-http.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

let users = 0;
async function run(rig: CoreRig, text: string) {
  const inv = makeInv({ userId: `life${users++}` });
  const io = makeIo(rig.port, inv);
  const posted = rig.port.events.length;
  await rig.dispatcher.runCommand('video', text, inv, io);
  const refusal = io.privates.find((p) => p.kind === 'notice' && p.tone === 'error');
  const taskId = rig.port.events.slice(posted).find((e) => e.type === 'post')?.taskId ?? '';
  return { refused: refusal?.kind === 'notice' ? refusal.text : undefined, taskId };
}

describe('callbacks on the new standard', () => {
  it('a callback in the new shape moves the card to final (polling is 10 minutes away)', async () => {
    const sim = await startSim(cleanup, {
      auth: { apiKey: API_KEY },
      timing: { submittedMs: 100, processingMs: 1200, jitter: 0 },
    });
    // Polling would next look 10 minutes after the create: only the callback can end the card within the wait.
    // (Generation outlasts the 1 s hint window, so the final callback is re-fetched at once.)
    const bot = await botWithHttp(cleanup, sim, { KLING_API_KEY: API_KEY, POLL_INTERVAL_MS: '600000' });
    const { taskId } = await run(bot, 'a heron --model kling-3.0-turbo');
    await waitAllFinal(bot, [taskId], 5000);
    const create = sim.calls.find((c) => c.op === 'create');
    expect(create?.path).toBe('/text-to-video/kling-3.0-turbo');
    expect(create?.body).toMatchObject({
      options: { callback_url: `${bot.base}/kling/callback/${bot.core.callbackToken}` },
    });
    const finishedAt = sim.task(taskId)?.finishedAt ?? 0;
    expect(bot.port.events.some((e) => e.taskId === taskId && e.view.state === 'succeed')).toBe(true);
    expect(sim.stats.callbacksSent).toBeGreaterThanOrEqual(1);
    // The hint was checked with Kling (GET /tasks) before the card believed it.
    expect(sim.calls.some((c) => c.path.startsWith('/tasks?') && c.at >= finishedAt)).toBe(true);
  });
});

describe('models on the new standard', () => {
  it('a model the table does not know, at 25 s, reaches Kling as given and finishes', async () => {
    const sim = await startSim(cleanup, { auth: { apiKey: API_KEY }, extraModels: ['kling-4.0'] });
    const rig = await makeCore(cleanup, sim, { KLING_API_KEY: API_KEY });
    const { refused, taskId } = await run(rig, 'a comet --model kling-4.0 --duration 25');
    expect(refused).toBeUndefined();
    await waitAllFinal(rig, [taskId], 10_000);
    const [create] = sim.calls.filter((c) => c.op === 'create');
    expect(create?.path).toBe('/text-to-video/kling-4.0');
    expect(create?.body).toMatchObject({ settings: { duration: 25 } });
    expect((await rig.core.store.get(taskId))?.state).toBe('succeed');
  });

  it('a model Kling refuses: a failed card that says so in plain words, nothing in flight', async () => {
    const sim = await startSim(cleanup, { auth: { apiKey: API_KEY } });
    const rig = await makeCore(cleanup, sim, { KLING_API_KEY: API_KEY });
    const { refused, taskId } = await run(rig, 'a comet --model kling-9.9-nope');
    expect(refused).toBeUndefined();
    const rec = await waitFor('the refused task is final', async () => {
      const r = await rig.core.store.get(taskId);
      return r?.state === 'failed' ? r : undefined;
    });
    expect(rec.failureCode).toBe('refused');
    await waitFor('the card shows it', () => rig.port.lastView(taskId)?.state === 'failed');
    expect(rig.port.lastView(taskId)?.notice).toMatch(/Kling does not know .*model.*kling-9\.9-nope/);
    expect(sim.calls.filter((c) => c.op === 'create').map((c) => c.path)).toEqual(['/text-to-video/kling-9.9-nope']);
    expect(rig.core.tracker.liveCount()).toBe(0);
    expect(sim.stats.creates).toBe(0);
  });
});

describe('a task keeps its standard', () => {
  it.each(['legacy', 'new'])(
    'created on each standard, both finish after the bot restarts with KLING_API=%s',
    async (after) => {
      const sim = await startSim(cleanup, {
        auth: { apiKey: API_KEY, accessKey: AK, secretKey: SK },
        timing: { submittedMs: 300, processingMs: 1200, jitter: 0 },
      });
      const env = {
        KLING_API_KEY: API_KEY,
        KLING_ACCESS_KEY: AK,
        KLING_SECRET_KEY: SK,
        STORE_URL: `sqlite://${join(mkdtempSync(join(tmpdir(), 'kb-standard-')), 'store.sqlite')}`,
      };
      // First life, KLING_API=auto: kling-3.0-turbo goes to the new standard, kling-v1-6 to the legacy one.
      const firstLife = new Cleanup();
      const first = await makeCore(firstLife, sim, env);
      const fresh = await run(first, 'a fox --model kling-3.0-turbo');
      const old = await run(first, 'a fox --model kling-v1-6');
      const created = await waitFor('both tasks created at Kling', async () => {
        const [a, b] = await Promise.all([first.core.store.get(fresh.taskId), first.core.store.get(old.taskId)]);
        return a?.klingTaskId && b?.klingTaskId && a.state !== 'succeed' && b.state !== 'succeed'
          ? { a, b }
          : undefined;
      });
      expect([created.a.standard, created.b.standard]).toEqual(['new', 'legacy']);
      await firstLife.closeAll();

      // Second life on the same store, KLING_API forcing the other way for one of the two.
      const seen = sim.calls.length;
      const second = await makeCore(cleanup, sim, { ...env, KLING_API: after });
      await waitAllFinal(second, [fresh.taskId, old.taskId], 15_000);
      const later = sim.calls.slice(seen);
      const newId = created.a.klingTaskId ?? '';
      const oldId = created.b.klingTaskId ?? '';
      expect(later.filter((c) => c.op === 'create')).toEqual([]);
      expect(later.some((c) => c.path.startsWith('/tasks?') && decodeURIComponent(c.path).includes(newId))).toBe(true);
      expect(later.some((c) => c.path === `/v1/videos/text2video/${oldId}`)).toBe(true);
      expect(later.some((c) => c.path.includes(`/v1/`) && c.path.includes(newId))).toBe(false);
      expect(later.some((c) => c.path.startsWith('/tasks') && decodeURIComponent(c.path).includes(oldId))).toBe(false);
      for (const id of [fresh.taskId, old.taskId]) {
        expect((await second.core.store.get(id))?.state).toBe('succeed');
        expect(sim.createsFor(id)).toBe(1);
      }
    },
  );
});
