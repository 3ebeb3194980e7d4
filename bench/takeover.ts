/**
 * Takeover after a replica dies (issue 16): two Discord replicas and two Slack replicas, each pair on
 * one Redis, 12 tasks running at Kling; the replica that polls Kling is SIGKILLed at the moment its
 * tasks finish at Kling (no callbacks). Prints when the first and the last card showed its video
 * after the kill, at the default POLL_INTERVAL_MS and at 500 ms, each next to its goal. The scenario
 * is the takeover tests' own (test/helpers/takeover-rigs.ts).
 *
 * Standalone: `tsx bench/takeover.ts`.
 */
import { pathToFileURL } from 'node:url';
import { EnvSchema } from '../src/config.js';
import { startRedis } from '../test/helpers/redis-instance.js';
import { discordTakeover, slackTakeover, type TakeoverResult } from '../test/helpers/takeover-rigs.js';

export const DEFAULT_POLL_INTERVAL_MS = EnvSchema.shape.POLL_INTERVAL_MS.parse(undefined);
const TASKS = 12;

export interface TakeoverRun {
  platform: 'discord' | 'slack';
  pollIntervalMs: number;
  tasks: number;
  firstMs: number;
  lastMs: number;
  /** The goals: first ≤ 2 poll intervals at the default; first ≤ 1.5 s and last ≤ 3 s at 500 ms. */
  firstGoalMs: number;
  lastGoalMs: number | null;
  met: boolean;
  creates: number;
  duplicateCreates: number;
}

export function goalsOf(pollIntervalMs: number): { firstGoalMs: number; lastGoalMs: number | null } {
  return pollIntervalMs === 500
    ? { firstGoalMs: 1500, lastGoalMs: 3000 }
    : { firstGoalMs: 2 * pollIntervalMs, lastGoalMs: null };
}

function runOf(platform: TakeoverRun['platform'], pollIntervalMs: number, r: TakeoverResult): TakeoverRun {
  const firstMs = r.delays[0] ?? Number.NaN;
  const lastMs = r.delays.at(-1) ?? Number.NaN;
  const goals = goalsOf(pollIntervalMs);
  return {
    platform,
    pollIntervalMs,
    tasks: r.delays.length,
    firstMs,
    lastMs,
    ...goals,
    met: firstMs <= goals.firstGoalMs && (goals.lastGoalMs === null || lastMs <= goals.lastGoalMs),
    creates: r.creates,
    duplicateCreates: r.duplicateCreates,
  };
}

export async function benchTakeover(intervals = [DEFAULT_POLL_INTERVAL_MS, 500]): Promise<TakeoverRun[]> {
  const redis = await startRedis();
  const runs: TakeoverRun[] = [];
  let db = 0;
  try {
    for (const pollIntervalMs of intervals)
      for (const [platform, rig] of [
        ['discord', discordTakeover],
        ['slack', slackTakeover],
      ] as const) {
        const result = await rig({ storeUrl: `${redis.url}/${++db}`, pollIntervalMs, tasks: TASKS });
        runs.push(runOf(platform, pollIntervalMs, result));
      }
  } finally {
    await redis.close();
  }
  return runs;
}

export function takeoverTable(runs: readonly TakeoverRun[]): string {
  const head = `${'replicas'.padEnd(20)}${'poll (ms)'.padStart(10)}${'first (ms)'.padStart(12)}${'last (ms)'.padStart(
    11,
  )}   goal`;
  const rows = runs.map((r) => {
    const goal = `first ≤ ${r.firstGoalMs}${r.lastGoalMs === null ? '' : `, last ≤ ${r.lastGoalMs}`}`;
    const who = `2 ${r.platform === 'discord' ? 'Discord' : 'Slack'}, ${r.tasks} tasks`;
    return `${who.padEnd(20)}${String(r.pollIntervalMs).padStart(10)}${String(r.firstMs).padStart(12)}${String(
      r.lastMs,
    ).padStart(
      11,
    )}   ${goal}: ${r.met ? 'met' : 'MISSED'}${r.duplicateCreates > 0 || r.creates !== r.tasks ? ` (${r.creates} creates!)` : ''}`;
  });
  return [
    `Takeover: the polling replica SIGKILLed as its tasks finish at Kling; kill to card final (default POLL_INTERVAL_MS=${DEFAULT_POLL_INTERVAL_MS})`,
    head,
    ...rows,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${takeoverTable(await benchTakeover())}\n`);
  process.exit(0);
}
