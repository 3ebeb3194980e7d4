import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskRecord, TaskState } from '../src/domain.js';
import { pageOf, type PageQuery } from '../src/store/paging.js';
import { openStorage } from '../src/store/storage.js';
import { createTask, type TaskStore } from '../src/store/task-store.js';

/**
 * `npx tsx bench/tasks-page.ts [n]`: what one /tasks page costs with n tasks (default 20,000) of
 * history in one channel, on memory:// and on a SQLite file: records parsed and milliseconds per
 * page, for the first page, a deep page and filters. Page cost should not grow with n.
 */
const n = Number(process.argv[2] ?? 20_000);
const states: TaskState[] = ['succeed', 'failed', 'succeed', 'processing'];
const T0 = Date.UTC(2026, 10, 1);

function record(i: number): TaskRecord {
  return {
    id: `kbbench${String(i).padStart(7, '0')}`,
    scope: { platform: 'discord', guildId: 'g1', channelId: 'c1', userId: `u${i % 7}`, userName: 'bench' },
    request: {
      kind: 'text2video',
      prompt: `a benchmark prompt number ${i} with some words in it`,
      model: 'kling-v2-1-master',
      mode: 'std',
      duration: '5',
      aspect_ratio: '16:9',
    },
    state: i === 3 ? 'submitted' : (states[i % 4] ?? 'succeed'),
    createdAt: T0 + i * 1000,
    updatedAt: T0 + i * 1000,
  };
}

async function measure(
  store: TaskStore,
  label: string,
  q: Omit<PageQuery, 'platform' | 'guildId' | 'channelId'>,
): Promise<string> {
  const query: PageQuery = { platform: 'discord', guildId: 'g1', channelId: 'c1', ...q };
  await pageOf(store, query); // warm
  const runs = 20;
  const before = store.reads.records;
  const started = performance.now();
  for (let i = 0; i < runs; i++) await pageOf(store, query);
  const ms = (performance.now() - started) / runs;
  return `${label.padEnd(34)} ${String((store.reads.records - before) / runs).padStart(6)} records  ${ms.toFixed(2).padStart(8)} ms`;
}

async function run(url: string, name: string): Promise<void> {
  const storage = await openStorage(url);
  const store = storage.tasks;
  try {
    const started = performance.now();
    for (let i = 0; i < n; i++) await createTask(store, record(i));
    console.log(
      `\n${name}: ${n.toLocaleString('en-US')} tasks in one channel (written in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
    console.log(await measure(store, 'page 1 of 25', { page: 1, pageSize: 25 }));
    console.log(await measure(store, 'page 40 of 25', { page: 40, pageSize: 25 }));
    console.log(await measure(store, 'status succeed, page 1', { page: 1, pageSize: 25, status: 'succeed' }));
    console.log(
      await measure(store, 'status submitted (1 match), page 1', { page: 1, pageSize: 25, status: 'submitted' }),
    );
    console.log(
      await measure(store, 'since the last hour, page 1', { page: 1, pageSize: 25, since: T0 + (n - 3600) * 1000 }),
    );
  } finally {
    await storage.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'kb-bench-tasks-'));
try {
  await run('memory://', 'memory://');
  await run(`sqlite://${join(dir, 'bench.sqlite')}`, 'sqlite://');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
