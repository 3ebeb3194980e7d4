import type { TaskRecord } from '../src/domain.js';
import { isFinal } from '../src/domain.js';
import type { KlingClient } from '../src/kling/client.js';
import { PortRateLimitError } from '../src/port.js';
import { renderCard } from '../src/render/card.js';
import type { BenchPort } from './bench-port.js';

/**
 * The reference MCP servers' approach, as a tracker: every interval, one GET per task and one
 * card edit per check, whether or not anything changed.
 */
export async function runNaive(
  tasks: TaskRecord[],
  kling: KlingClient,
  port: BenchPort,
  intervalMs: number,
): Promise<void> {
  const live = new Map(tasks.map((t) => [t.id, t]));
  const parallel = 64;
  while (live.size > 0) {
    const started = Date.now();
    const batch = [...live.values()];
    for (let i = 0; i < batch.length; i += parallel) {
      await Promise.all(
        batch.slice(i, i + parallel).map(async (rec) => {
          try {
            // One read per task per check, on the task's own standard (new: `GET /tasks?task_ids=<one id>`).
            const task = await kling.get(rec.request.kind, rec.klingTaskId ?? rec.id, { standard: rec.standard });
            const next: TaskRecord = {
              ...rec,
              state: task.status,
              klingTaskId: task.taskId,
              ...(task.result ? { result: task.result } : {}),
              ...(isFinal(task.status) ? { finishedAt: Date.now() } : {}),
            };
            live.set(rec.id, next);
            try {
              await port.edit({}, renderCard(next, { now: Date.now() }), next.scope);
              if (isFinal(next.state)) live.delete(rec.id);
            } catch (err) {
              if (!(err instanceof PortRateLimitError)) throw err;
            }
          } catch {
            // naive: try again next round
          }
        }),
      );
    }
    await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - started))));
  }
}
