import type { TaskKind } from '../domain.js';
import { queueBackoff } from './task-machine.js';

/** Kling's limits are per pack: videos (every video kind) and images. */
export type Pack = 'video' | 'image';
export const packOf = (kind: TaskKind): Pack => (kind === 'image' ? 'image' : 'video');

interface Lane {
  ids: string[];
  /** The head is being submitted right now. */
  busy: boolean;
  retryAt: number;
  backoff: number;
}

/**
 * Where tasks wait after Kling said 1303 (concurrency) or 1302 (rate limit): first come, first
 * served per pack, one submission at a time from the head, backing off while Kling keeps saying
 * no. The records say `queued` (durable); this is the order in memory, rebuilt on resume.
 */
export class SubmitQueue {
  private readonly lanes: Record<Pack, Lane> = { video: this.lane(), image: this.lane() };

  constructor(
    private readonly createdAtOf: (id: string) => number | undefined,
    private readonly random: () => number = Math.random,
  ) {}

  private lane(): Lane {
    return { ids: [], busy: false, retryAt: 0, backoff: 0 };
  }

  /** 1-based place in line, 0 when not queued. */
  position(kind: TaskKind, id: string): number {
    return this.lanes[packOf(kind)].ids.indexOf(id) + 1;
  }

  has(kind: TaskKind, id: string): boolean {
    return this.lanes[packOf(kind)].ids.includes(id);
  }

  nonEmpty(kind: TaskKind): boolean {
    return this.lanes[packOf(kind)].ids.length > 0;
  }

  ids(pack: Pack): readonly string[] {
    return this.lanes[pack].ids;
  }

  length(): number {
    return this.lanes.video.ids.length + this.lanes.image.ids.length;
  }

  /** At the back (a newcomer behind the queue, or a resumed `queued` task in age order). */
  push(kind: TaskKind, id: string): void {
    const lane = this.lanes[packOf(kind)];
    if (!lane.ids.includes(id)) lane.ids.push(id);
  }

  /** A task refused at once takes its place by age, never ahead of a head being submitted. */
  insertByAge(kind: TaskKind, id: string, createdAt: number): void {
    const lane = this.lanes[packOf(kind)];
    if (lane.ids.includes(id)) return;
    let i = lane.busy ? 1 : 0;
    while (i < lane.ids.length && (this.createdAtOf(lane.ids[i] ?? '') ?? 0) <= createdAt) i++;
    lane.ids.splice(i, 0, id);
  }

  /** Leaves the queue if it is the head (submitted, or refused for good). */
  leaveHead(kind: TaskKind, id: string): void {
    const lane = this.lanes[packOf(kind)];
    if (lane.ids[0] === id) lane.ids.shift();
  }

  isHead(kind: TaskKind, id: string): boolean {
    return this.lanes[packOf(kind)].ids[0] === id;
  }

  /** The head to submit now, if its lane may go (marked busy until `done`). */
  takeHead(pack: Pack, now: number, exists: (id: string) => boolean): string | undefined {
    const lane = this.lanes[pack];
    for (;;) {
      const head = lane.ids[0];
      if (!head || lane.busy || lane.retryAt > now) return undefined;
      if (exists(head)) {
        lane.busy = true;
        return head;
      }
      lane.ids.shift();
    }
  }

  done(pack: Pack): void {
    this.lanes[pack].busy = false;
  }

  /** Kling took a task: the lane's backoff starts over. */
  accepted(kind: TaskKind): void {
    this.lanes[packOf(kind)].backoff = 0;
  }

  /** Kling said 1303/1302 again: the lane waits longer. */
  refused(kind: TaskKind, retryAfterMs: number | undefined, now: number): void {
    const lane = this.lanes[packOf(kind)];
    const next = queueBackoff(lane.backoff, retryAfterMs, now, this.random);
    lane.backoff = next.backoff;
    lane.retryAt = next.retryAt;
  }

  /** The head's own call failed for another reason: the lane waits for its retry. */
  holdUntil(kind: TaskKind, at: number): void {
    this.lanes[packOf(kind)].retryAt = at;
  }

  /** A slot freed at Kling: the head may go now. */
  slotFreed(kind: TaskKind, now: number): void {
    const lane = this.lanes[packOf(kind)];
    lane.retryAt = Math.min(lane.retryAt, now);
  }

  clear(): void {
    for (const lane of Object.values(this.lanes)) lane.ids.length = 0;
  }
}
