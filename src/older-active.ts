import { isFinal, type Platform } from './domain.js';
import type { TaskStore } from './store/task-store.js';

/**
 * A user's unfinished tasks created before `before`: the store's daily scan (userActivity) reads
 * back one day, so a task still running after that would stop counting against
 * USER_MAX_ACTIVE_TASKS. They are found through the in-flight set. Who owns a task and when it was
 * made never change, so each in-flight record is read once for that; only the few that are this
 * user's and old are read again for their state.
 */
export class OlderActive {
  private readonly known = new Map<string, { owner: string; createdAt: number }>();

  constructor(private readonly tasks: Pick<TaskStore, 'inflightIds' | 'getMany'>) {}

  async count(platform: Platform, guildId: string, userId: string, before: number): Promise<number> {
    const ids = await this.tasks.inflightIds();
    const inflight = new Set(ids);
    for (const id of this.known.keys()) if (!inflight.has(id)) this.known.delete(id);
    const unread = ids.filter((id) => !this.known.has(id));
    if (unread.length > 0) {
      const found = new Map((await this.tasks.getMany(unread)).map((r) => [r.id, r]));
      for (const id of unread) {
        const rec = found.get(id);
        // An unreadable record is remembered as nobody's, so it is not read again on every command.
        const owner = rec ? ownerOf(rec.scope.platform, rec.scope.guildId, rec.scope.userId) : '';
        this.known.set(id, { owner, createdAt: rec?.createdAt ?? Infinity });
      }
    }
    const owner = ownerOf(platform, guildId, userId);
    const mine = ids.filter((id) => {
      const k = this.known.get(id);
      return k !== undefined && k.owner === owner && k.createdAt < before;
    });
    if (mine.length === 0) return 0;
    // Their state now: one may have finished since (or given its slot back after losing a race).
    return (await this.tasks.getMany(mine)).filter((r) => !isFinal(r.state) && !r.budget?.released).length;
  }
}

const ownerOf = (platform: string, guildId: string, userId: string) => JSON.stringify([platform, guildId, userId]);
