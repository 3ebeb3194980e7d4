/**
 * Extend (issue 11): a finished video 4–5 s longer through video-extend — the card's button
 * (same prompt) and /extend id [prompt]; same model and mode; the card links to its parent;
 * counts against limits; refused past 30 days and past 3 minutes in total; tracked like any task,
 * including after the bot process is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../src/domain.js';
import { cardButtonId } from '../src/interaction-ids.js';
import { openStorage } from '../src/store/storage.js';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import { AK, Cleanup, makeCore, makeInv, makeIo, SK, startSim, waitFor, type CoreRig } from './helpers/core-harness.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

const DAY = 86_400_000;

async function finished(rig: CoreRig, text: string, inv = makeInv()): Promise<TaskRecord> {
  const io = makeIo(rig.port, inv);
  const before = rig.port.events.length;
  await rig.dispatcher.runCommand('video', text, inv, io);
  const id = rig.port.events.slice(before).find((e) => e.type === 'post')?.taskId;
  if (!id) throw new Error(`no card: ${JSON.stringify(io.privates)}`);
  return waitFor('the video finished', async () => {
    const rec = await rig.core.store.get(id);
    return rec?.state === 'succeed' && rig.port.lastView(id)?.state === 'succeed' ? rec : undefined;
  });
}

/** Runs the Extend button or /extend; returns the new task (finished) or the private refusal. */
async function extend(rig: CoreRig, how: { button: string } | { command: string }, inv = makeInv()) {
  const io = makeIo(rig.port, inv);
  const before = rig.port.events.length;
  if ('button' in how) await rig.dispatcher.runButton(cardButtonId('extend', how.button), inv, io);
  else await rig.dispatcher.runCommand('extend', how.command, inv, io);
  const refusal = io.privates.find((p) => p.kind === 'notice' && p.tone === 'error');
  if (refusal && refusal.kind === 'notice') return { refused: refusal.text };
  const id = rig.port.events.slice(before).find((e) => e.type === 'post')?.taskId ?? '';
  const rec = await waitFor('the extension finished', async () => {
    const r = await rig.core.store.get(id);
    return r && (r.state === 'succeed' || r.state === 'failed') && rig.port.lastView(id)?.state === r.state
      ? r
      : undefined;
  });
  return { rec, view: rig.port.lastView(id) };
}

describe('Extend', () => {
  it('the card’s Extend button: a video-extend of the source video, same prompt, model and mode; the card links to the parent', async () => {
    const sim = await startSim(cleanup);
    const rig = await makeCore(cleanup, sim);
    const parent = await finished(rig, 'a fox in the snow --model kling-v1-6 --mode pro --duration 10');
    expect(rig.port.lastView(parent.id)?.buttons.map((b) => b.action)).toContain('extend');
    const done = await extend(rig, { button: parent.id });
    if (!done.rec) throw new Error(done.refused);
    const body = sim.task(done.rec.id)?.body;
    expect(body).toEqual({
      video_id: parent.result?.videos[0]?.id,
      prompt: 'a fox in the snow',
      external_task_id: done.rec.id,
    });
    expect(sim.calls.some((c) => c.op === 'create' && c.path === '/v1/videos/video-extend')).toBe(true);
    expect(sim.calls.some((c) => c.op === 'get' && c.path.startsWith('/v1/videos/video-extend/'))).toBe(true);
    expect(done.rec).toMatchObject({
      state: 'succeed',
      request: { kind: 'extend', parentTaskId: parent.id, model: 'kling-v1-6', mode: 'pro', sourceSeconds: 10.1 },
    });
    const fields = Object.fromEntries(done.view?.fields.map((f) => [f.label, f.value]) ?? []);
    expect(fields['Extends']).toBe(`${parent.id} · ${parent.result?.videos[0]?.url}`);
    expect(fields['Options']).toBe('Kling 1.6 · pro · +4–5s on 10s');
    expect(done.view?.title).toContain('Extended');
    expect(done.view?.media[0]?.label).toBe('Video (14.6s)');
    // An extension can itself be extended.
    expect(done.view?.buttons.map((b) => b.action)).toContain('extend');
  });

  it('/extend id prompt: a new prompt for the next seconds; by Kling’s id too', async () => {
    const sim = await startSim(cleanup);
    const rig = await makeCore(cleanup, sim);
    const parent = await finished(rig, 'a fox in the snow --model kling-v1');
    const done = await extend(rig, { command: `${parent.klingTaskId ?? ''} the fox jumps into a drift` });
    if (!done.rec) throw new Error(done.refused);
    expect(sim.task(done.rec.id)?.body).toMatchObject({
      video_id: parent.result?.videos[0]?.id,
      prompt: 'the fox jumps into a drift',
    });
    expect(done.rec.request).toMatchObject({
      kind: 'extend',
      parentTaskId: parent.id,
      model: 'kling-v1',
      mode: 'std',
    });
  });

  it('a video of a model Kling documents no extend for (the default kling-v2-5-turbo) is refused with that reason — zero Kling calls', async () => {
    const sim = await startSim(cleanup);
    const rig = await makeCore(cleanup, sim);
    const parent = await finished(rig, 'a fox in the snow');
    expect(parent.request.model).toBe('kling-v2-5-turbo');
    const creates = sim.stats.creates;
    const no = await extend(rig, { command: parent.id });
    expect('refused' in no && no.refused).toMatch(
      /kling-v2-5-turbo videos cannot be extended: Kling documents video-extend for v1.x models only/,
    );
    expect(sim.stats.creates).toBe(creates);
  });

  it('refused with the reason when the source is over 30 days old — zero Kling calls', async () => {
    const sim = await startSim(cleanup);
    const rig = await makeCore(cleanup, sim);
    const parent = await finished(rig, 'an old fox --model kling-v1');
    const creates = sim.stats.creates;
    await rig.core.store.update(parent.id, (cur) => ({ ...cur, finishedAt: Date.now() - 31 * DAY }));
    const old = await extend(rig, { button: parent.id });
    expect(old).toHaveProperty('refused');
    expect('refused' in old && old.refused).toMatch(/over 30 days ago: Kling has deleted it, so it cannot be extended/);
    expect(sim.stats.creates).toBe(creates);
    // 29 days is still fine.
    await rig.core.store.update(parent.id, (cur) => ({ ...cur, finishedAt: Date.now() - 29 * DAY }));
    expect(await extend(rig, { button: parent.id })).toHaveProperty('rec');
  });

  it('refused with the reason when the total would pass 3 minutes — zero Kling calls', async () => {
    const sim = await startSim(cleanup);
    const rig = await makeCore(cleanup, sim);
    const parent = await finished(rig, 'a long fox --model kling-v1');
    const creates = sim.stats.creates;
    const withLength = (seconds: string) =>
      rig.core.store.update(parent.id, (cur) => ({
        ...cur,
        result: { videos: (cur.result?.videos ?? []).map((v) => ({ ...v, duration: seconds })), images: [] },
      }));
    await withLength('176.0');
    const long = await extend(rig, { command: parent.id });
    expect('refused' in long && long.refused).toMatch(
      /already 176 s long: one more extension \(4–5 s\) would pass Kling's limit of 3 minutes in total/,
    );
    expect(sim.stats.creates).toBe(creates);
    // 175 s + 5 still fits. (The simulator's own copy of this video is 5.1 s; its 3-minute line is tested below.)
    await withLength('175.0');
    const fits = await extend(rig, { command: parent.id });
    expect(fits).toHaveProperty('rec');
  });

  it('only a finished video: images and unfinished tasks are refused, unknown ids are not found', async () => {
    const sim = await startSim(cleanup, { timing: { submittedMs: 2000, processingMs: 5000, jitter: 0 } });
    const rig = await makeCore(cleanup, sim);
    const inv = makeInv();
    const io = makeIo(rig.port, inv);
    await rig.dispatcher.runCommand('video', 'a slow fox', inv, io);
    const running = rig.port.events.find((e) => e.type === 'post')?.taskId ?? '';
    expect('refused' in (await extend(rig, { command: running })) ? 'refused' : 'made').toBe('refused');
    const notFound = makeIo(rig.port, inv);
    await rig.dispatcher.runCommand('extend', 'kbnosuchtask0', inv, notFound);
    expect(JSON.stringify(notFound.privates)).toContain('No task `kbnosuchtask0` was found here');
    expect(sim.calls.filter((c) => c.path.includes('video-extend'))).toEqual([]);
  });

  it('counts against the user’s limits like any task', async () => {
    const sim = await startSim(cleanup);
    const rig = await makeCore(cleanup, sim, { USER_MAX_DAILY_TASKS: '2' });
    const inv = makeInv({ userId: 'capped' });
    const parent = await finished(rig, 'a fox --model kling-v1', inv);
    expect(await extend(rig, { button: parent.id }, inv)).toHaveProperty('rec');
    const third = await extend(rig, { button: parent.id }, inv);
    expect('refused' in third && third.refused).toMatch(/used your 2 tasks for today/);
    expect(sim.calls.filter((c) => c.op === 'create')).toHaveLength(2);
  });
});

describe('the simulator’s video-extend holds the same lines', () => {
  const KEY = 'sim-extend-gateway-key';
  const post = async (sim: KlingSimulator, path: string, body: Record<string, unknown>) => {
    const res = await fetch(`${sim.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify(body),
    });
    return {
      status: res.status,
      json: (await res.json()) as { code: number; message: string; data?: { task_id: string } },
    };
  };
  const videoOf = async (sim: KlingSimulator, path: string, id: string) => {
    const res = await fetch(`${sim.url}${path}/${id}`, { headers: { authorization: `Bearer ${KEY}` } });
    const json = (await res.json()) as {
      data: { task_status: string; task_result?: { videos: Array<{ id: string; duration: string }> } };
    };
    return json.data;
  };

  it('refuses a source over 30 days old, and a total past 3 minutes, with 400/1201', async () => {
    let clock = Date.now();
    const sim = await startSim(cleanup, {
      auth: { apiKey: KEY },
      timing: { submittedMs: 0, processingMs: 0, jitter: 0 },
      now: () => clock,
    });
    const made = await post(sim, '/v1/videos/text2video', { prompt: 'a fox', model_name: 'kling-v1' });
    const first = await videoOf(sim, '/v1/videos/text2video', made.json.data?.task_id ?? '');
    let videoId = first.task_result?.videos[0]?.id ?? '';
    let extensions = 0;
    for (;;) {
      const r = await post(sim, '/v1/videos/video-extend', { video_id: videoId });
      if (r.status !== 200) {
        expect(r).toMatchObject({ status: 400, json: { code: 1201 } });
        expect(r.json.message).toContain('longer than 3 minutes');
        break;
      }
      const v = await videoOf(sim, '/v1/videos/video-extend', r.json.data?.task_id ?? '');
      expect(v.task_status).toBe('succeed');
      videoId = v.task_result?.videos[0]?.id ?? '';
      extensions++;
      if (extensions > 60) throw new Error('never refused');
    }
    // 5.1 s + 38 × 4.5 s = 176.1 s; one more would be 180.6 s.
    expect(extensions).toBe(38);
    clock += 31 * DAY;
    const old = await post(sim, '/v1/videos/video-extend', { video_id: first.task_result?.videos[0]?.id });
    expect(old).toMatchObject({ status: 400, json: { code: 1201 } });
    expect(old.json.message).toContain('over 30 days old');
  });
});

describe('Extend survives a SIGKILL', () => {
  function spawnChild(sim: KlingSimulator, env: Record<string, string>): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/core-child.ts'], {
      cwd: process.cwd(),
      env: {
        PATH: process.env['PATH'],
        HOME: process.env['HOME'],
        CHILD_SIM_URL: sim.url,
        CHILD_AK: AK,
        CHILD_SK: SK,
        ...env,
      },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    cleanup.add(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    return child;
  }
  const kill = async (child: ChildProcess) => {
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  const stateOf = async (storeUrl: string, id: string) => {
    const store = await openStorage(storeUrl);
    try {
      return await store.tasks.get(id);
    } finally {
      await store.close();
    }
  };

  it('an extension in flight when the bot is killed is resumed at its own path, created once, and ends on its card', async () => {
    const sim = await startSim(cleanup, { timing: { submittedMs: 300, processingMs: 900, jitter: 0 } });
    const dir = mkdtempSync(join(tmpdir(), 'kb-extend-'));
    cleanup.add(async () => rmSync(dir, { recursive: true, force: true }));
    const storeUrl = `sqlite://${join(dir, 'bot.sqlite')}`;
    const out = join(dir, 'cards.jsonl');
    const base = { CHILD_STORE_URL: storeUrl, CHILD_OUT: out };

    const first = spawnChild(sim, { ...base, CHILD_MODE: 'submit', CHILD_N: '1' });
    await waitFor('the source made at Kling', () => sim.tasks().length === 1, 15_000);
    const parentId = sim.tasks()[0]?.externalTaskId ?? '';
    await waitFor(
      'the source finished in the store',
      async () => (await stateOf(storeUrl, parentId))?.state === 'succeed',
      15_000,
    );
    await kill(first);

    const second = spawnChild(sim, { ...base, CHILD_MODE: 'extend', CHILD_PARENT: parentId });
    await waitFor('the extension made at Kling', () => sim.tasks().length === 2, 15_000);
    const extId = sim.tasks()[1]?.externalTaskId ?? '';
    await kill(second);
    expect(['pending', 'submitted', 'processing']).toContain((await stateOf(storeUrl, extId))?.state);

    const third = spawnChild(sim, { ...base, CHILD_MODE: 'resume' });
    const [code] = (await once(third, 'exit')) as [number | null];
    expect(code).toBe(0);
    const rec = await stateOf(storeUrl, extId);
    expect(rec).toMatchObject({ state: 'succeed', request: { kind: 'extend', parentTaskId: parentId } });
    expect(sim.createsFor(extId)).toBe(1);
    expect(sim.stats.duplicateCreates).toBe(0);
    expect(sim.calls.some((c) => c.op === 'get' && c.path.startsWith('/v1/videos/video-extend/'))).toBe(true);
    const lines = existsSync(out)
      ? readFileSync(out, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { taskId?: string; state?: string; urls?: string[] })
      : [];
    const last = lines.filter((l) => l.taskId === extId).at(-1);
    expect(last).toMatchObject({ state: 'succeed', urls: [`${sim.origin}/media/${sim.task(extId)?.taskId}.mp4`] });
  });
});
