import { isFinal, type Platform, type TaskRecord } from './domain.js';
import type { TaskStore } from './store/task-store.js';

/**
 * How long one scan of the in-flight set serves every command. A task counted here was created
 * more than a day ago and has been in flight ever since (a task enters the in-flight set when it is
 * admitted and comes back only finished, which never counts), so any scan younger than a day has
 * it: the age only bounds what a wrong clock could hide. Under a burst, one scan then serves
 * hundreds of commands instead of each reading the whole set (bench/burst.ts).
 */
export const SCAN_TTL_MS = 2000;

interface Scan {
  at: number;
  /** Per owner, the in-flight tasks' ids and creation times. */
  byOwner: Map<string, Array<{ id: string; createdAt: number }>>;
}

/**
 * A user's unfinished tasks created before `before`: the store's daily scan (userActivity) reads
 * back one day, so a task still running after that would stop counting against
 * USER_MAX_ACTIVE_TASKS. They are found through the in-flight set. Who owns a task and when it was
 * made never change, so each in-flight record is read once for that (not at all when this process
 * admitted it); only the few that are this user's and old are read again for their state.
 */
export class OlderActive {
  private readonly known = new Map<string, { owner: string; createdAt: number }>();
  private scan: Scan | undefined;
  /** The scan under way, which every caller meanwhile shares. */
  private scanning: Promise<Scan> | undefined;

  constructor(
    private readonly tasks: Pick<TaskStore, 'inflightIds' | 'getMany'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** A task this process admitted: its owner and creation time are known without reading it back. */
  admitted(rec: Pick<TaskRecord, 'id' | 'scope' | 'createdAt'>): void {
    this.known.set(rec.id, {
      owner: ownerOf(rec.scope.platform, rec.scope.guildId, rec.scope.userId),
      createdAt: rec.createdAt,
    });
  }

  async count(platform: Platform, guildId: string, userId: string, before: number): Promise<number> {
    const scan = await this.current();
    const mine = (scan.byOwner.get(ownerOf(platform, guildId, userId)) ?? [])
      .filter((t) => t.createdAt < before)
      .map((t) => t.id);
    if (mine.length === 0) return 0;
    // Their state now: one may have finished since (or given its slot back after losing a race).
    return (await this.tasks.getMany(mine)).filter((r) => !isFinal(r.state) && !r.budget?.released).length;
  }

  private async current(): Promise<Scan> {
    const scan = this.scan;
    if (scan && this.now() - scan.at < SCAN_TTL_MS) return scan;
    this.scanning ??= this.read().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async read(): Promise<Scan> {
    const at = this.now();
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
    const byOwner = new Map<string, Array<{ id: string; createdAt: number }>>();
    for (const id of ids) {
      const k = this.known.get(id);
      if (!k?.owner) continue;
      const list = byOwner.get(k.owner) ?? [];
      list.push({ id, createdAt: k.createdAt });
      byOwner.set(k.owner, list);
    }
    this.scan = { at, byOwner };
    return this.scan;
  }
}

const ownerOf = (platform: string, guildId: string, userId: string) => JSON.stringify([platform, guildId, userId]);
