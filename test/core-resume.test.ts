import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import { openStorage } from '../src/store/storage.js';
import { AK, Cleanup, SK, startSim, waitFor } from './helpers/core-harness.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

const Line = z.object({
  type: z.enum(['post', 'edit', 'submitted', 'resumed', 'done']),
  taskId: z.string().optional(),
  state: z.string().optional(),
  urls: z.array(z.string()).optional(),
  count: z.number().optional(),
  at: z.number(),
});
type Line = z.infer<typeof Line>;

interface Run {
  child: ChildProcess;
  stderr: () => string;
}

function workdir(): { dir: string; storeUrl: string; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kb-resume-'));
  cleanup.add(async () => rmSync(dir, { recursive: true, force: true }));
  return { dir, storeUrl: `sqlite://${join(dir, 'bot.sqlite')}`, out: join(dir, 'cards.jsonl') };
}

function spawnBot(sim: KlingSimulator, w: { storeUrl: string; out: string }, mode: 'submit' | 'resume', n = 0): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/core-child.ts'], {
    cwd: process.cwd(),
    env: {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      CHILD_MODE: mode,
      CHILD_N: String(n),
      CHILD_SIM_URL: sim.url,
      CHILD_AK: AK,
      CHILD_SK: SK,
      CHILD_STORE_URL: w.storeUrl,
      CHILD_OUT: w.out,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  cleanup.add(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, stderr: () => stderr };
}

const lines = (out: string): Line[] =>
  existsSync(out)
    ? readFileSync(out, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => Line.parse(JSON.parse(l)))
    : [];

async function kill(run: Run): Promise<void> {
  const exited = once(run.child, 'exit');
  // It was still running when killed (it had not stopped on its own, cleanly or not).
  expect([run.child.exitCode, run.child.signalCode]).toEqual([null, null]);
  run.child.kill('SIGKILL');
  await exited;
}

async function finishes(run: Run, timeoutMs: number): Promise<void> {
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(run.child, 'exit')) as [number | null];
  clearTimeout(timer);
  expect(code, run.stderr()).toBe(0);
}

async function storedStates(storeUrl: string, ids: readonly string[]): Promise<Record<string, string | undefined>> {
  const store = await openStorage(storeUrl);
  try {
    return Object.fromEntries(
      await Promise.all(ids.map(async (id) => [id, (await store.tasks.get(id))?.state] as const)),
    );
  } finally {
    await store.close();
  }
}

/** Every task's last card line shows succeed with its video, and Kling made it once. */
function expectAllFinishedOnce(sim: KlingSimulator, all: readonly Line[], ids: readonly string[]): void {
  for (const id of ids) {
    const cardLines = all.filter((l) => l.taskId === id && (l.type === 'post' || l.type === 'edit'));
    const last = cardLines.at(-1);
    const klingId = sim.task(id)?.taskId;
    expect(last?.state, id).toBe('succeed');
    expect(last?.urls).toEqual([`${sim.origin}/media/${klingId}.mp4`]);
    expect(sim.createsFor(id), `creates for ${id}`).toBe(1);
  }
}

describe('resume after the bot process is killed', () => {
  it('tasks in flight at SIGKILL all reach succeed on their cards after a restart, each created once', async () => {
    // Kling's clock holds every task running until the kill, however slowly this machine gets to it;
    // then it jumps and they have all finished.
    let skewMs = 0;
    const sim = await startSim(cleanup, {
      timing: { submittedMs: 300, processingMs: 600_000, jitter: 0 },
      now: () => Date.now() + skewMs,
    });
    const w = workdir();
    const first = spawnBot(sim, w, 'submit', 4);
    await waitFor('4 tasks submitted at Kling', () => sim.stats.creates === 4, 15_000);
    await kill(first);
    const ids = sim.tasks().map((t) => t.externalTaskId ?? '');
    expect(ids.every((id) => id.startsWith('kb'))).toBe(true);
    // Killed mid-flight: none finished at Kling yet, and the store knows none as final.
    expect(sim.tasks().every((t) => t.finishedAt > Date.now())).toBe(true);
    const before = await storedStates(w.storeUrl, ids);
    for (const id of ids) expect(['pending', 'submitted', 'processing']).toContain(before[id]);

    skewMs = 1_200_000;
    const second = spawnBot(sim, w, 'resume');
    await finishes(second, 15_000);
    const all = lines(w.out);
    expect(all.find((l) => l.type === 'resumed' && l.count === 4)).toBeDefined();
    expect(all.at(-1)?.type).toBe('done');
    expectAllFinishedOnce(sim, all, ids);
    expect(sim.stats.duplicateCreates).toBe(0);
    expect(Object.values(await storedStates(w.storeUrl, ids))).toEqual(['succeed', 'succeed', 'succeed', 'succeed']);
  });

  it('tasks waiting in our queue (Kling said 1303) at SIGKILL are created after the restart, once each', async () => {
    // Kling runs one video at a time, and its clock holds the first until the kill, so the other two wait in
    // our durable queue however slow this machine is; after the kill the clock jumps and tasks run quickly.
    let skewMs = 0;
    const sim = await startSim(cleanup, {
      concurrency: { video: 1 },
      timing: { submittedMs: 600_000, processingMs: 600_000, jitter: 0 },
      now: () => Date.now() + skewMs,
      durationFor: () => (skewMs > 0 ? { submittedMs: 100, processingMs: 300 } : undefined),
    });
    const w = workdir();
    const first = spawnBot(sim, w, 'submit', 3);
    const queuedCards = () =>
      new Set(
        lines(w.out)
          .filter((l) => l.state === 'queued')
          .map((l) => l.taskId),
      );
    await waitFor('two cards saying they wait in line', () => queuedCards().size === 2, 20_000);
    await kill(first);
    const ids = lines(w.out)
      .filter((l) => l.type === 'submitted')
      .map((l) => l.taskId ?? '');
    expect(ids).toHaveLength(3);
    const before = await storedStates(w.storeUrl, ids);
    expect(Object.values(before).sort(), JSON.stringify(before)).toEqual(['queued', 'queued', 'submitted']);
    expect(sim.stats.creates).toBe(1);

    skewMs = 1_200_000;
    const second = spawnBot(sim, w, 'resume');
    await finishes(second, 20_000);
    const all = lines(w.out);
    expect(all.find((l) => l.type === 'resumed' && l.count === 3)).toBeDefined();
    expectAllFinishedOnce(sim, all, ids);
    expect(sim.stats.creates).toBe(3);
    expect(sim.stats.duplicateCreates).toBe(0);
  });

  it('a task killed while still pending (Kling made it, the answer never arrived) is not created again', async () => {
    const sim = await startSim(cleanup, { timing: { submittedMs: 200, processingMs: 400, jitter: 0 } });
    // The create's answer is held until the process is gone (not a 5 s delay the kill had to beat).
    let release = (): void => undefined;
    sim.faults.add({ kind: 'slow', times: 1, on: 'create', until: new Promise<void>((r) => (release = r)) });
    cleanup.add(async () => release());
    const w = workdir();
    const first = spawnBot(sim, w, 'submit', 1);
    await waitFor('the task made at Kling', () => sim.tasks().length === 1, 15_000);
    await kill(first);
    release();
    const id = sim.tasks()[0]?.externalTaskId ?? '';
    expect(await storedStates(w.storeUrl, [id])).toEqual({ [id]: 'pending' });

    const second = spawnBot(sim, w, 'resume');
    await finishes(second, 15_000);
    const all = lines(w.out);
    expectAllFinishedOnce(sim, all, [id]);
    // Found by our id (external_task_id), not created a second time.
    expect(sim.stats.creates).toBe(1);
    expect(sim.stats.duplicateCreates).toBe(0);
    expect(sim.calls.some((c) => c.op === 'get' && c.path === `/v1/videos/text2video/${id}`)).toBe(true);
  });
});
