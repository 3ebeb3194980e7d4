import type { ReplayCache } from './replay-cache.js';

/**
 * The requester hears once that their video is ready, with any number of replicas: a replica that
 * stalled past its tracker lease may still write the final it had queued while the replica that
 * adopted the task writes it too. Whoever sends the mention first claims it in the store (Redis
 * SET NX PX; on SQLite an insert-if-absent under a lock); the other leaves it out. The claimer keeps
 * its claim for its own later tries (a write sent again after a failed upload still mentions).
 */

/** Longer than a result is mentioned at all (an hour after it finished, media/stage.ts). */
export const MENTION_CLAIM_TTL_MS = 2 * 60 * 60_000;

export class MentionClaims {
  /** Task id -> when this replica claimed its mention, oldest first. */
  private readonly mine = new Map<string, number>();

  constructor(
    private readonly store: ReplayCache,
    private readonly now: () => number,
  ) {}

  /** True for the one replica that may mention the requester of `taskId` (every time it asks). */
  claim = async (taskId: string): Promise<boolean> => {
    for (const [id, at] of this.mine) {
      if (this.now() - at < MENTION_CLAIM_TTL_MS) break;
      this.mine.delete(id);
    }
    if (this.mine.has(taskId)) return true;
    if (!(await this.store.firstSighting(`mention:${taskId}`, MENTION_CLAIM_TTL_MS))) return false;
    this.mine.set(taskId, this.now());
    return true;
  };
}
