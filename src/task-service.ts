import { randomBytes } from 'node:crypto';
import type { CommandIO, Invocation } from '../commands/types.js';
import { isFinal, type CardHandle, type GenerationRequest, type TaskRecord } from './domain.js';
import { RefusedError } from './errors.js';
import type { Limits } from './limits.js';
import type { Logger } from './log.js';
import type { CardPort } from './port.js';
import { notices, refusals } from './render/notices.js';
import type { TaskStore } from './store/task-store.js';
import { viewHash } from './tracker/channel-tracker.js';
import type { Tracker } from './tracker/tracker.js';

/** Our task ids: short enough to type into /task, random enough to be Kling's external_task_id. */
export const newTaskId = () => `kb${randomBytes(8).readBigUInt64BE().toString(36).padStart(13, '0').slice(0, 12)}`;

/**
 * The use cases behind the commands and buttons: submit (durably, then the card, then Kling),
 * find, refresh, delete, page. Platform-neutral; the card's home is reached through ports.
 */
export class TaskService {
  /** Limits are checked and the record written under one lock per user, so two quick commands can't both slip under a cap. */

  constructor(
    private readonly deps: { store: TaskStore; tracker: Tracker; limits: Limits; log: Logger; ports: ReadonlyMap<string, CardPort>; now: () => number },
  ) {}

  async submit(inv: Invocation, io: CommandIO, request: GenerationRequest, regeneratedFrom?: string): Promise<TaskRecord> {
    const { store, tracker, limits, log, now } = this.deps;
    const rec = await store.exclusive(`user:${inv.platform}:${inv.guildId}:${inv.user.id}`, async () => {
      await limits.check(inv);
      const t = now();
      const record: TaskRecord = {
        id: newTaskId(),
        scope: { platform: inv.platform, guildId: inv.guildId, channelId: inv.channelId, userId: inv.user.id, userName: inv.user.name },
        request,
        state: 'pending',
        createdAt: t,
        updatedAt: t,
        ...(regeneratedFrom ? { regeneratedFrom } : {}),
      };
      // Durable first: a crash from here on resumes this task instead of losing it.
      await store.create(record);
      return record;
    });
    // Kling is asked right away; a card post slowed by the platform must not delay the create.
    const view = tracker.view(rec);
    tracker.track(rec);
    let handle: CardHandle;
    try {
      handle = await io.openCard(view);
    } catch (err) {
      log.warn({ taskId: rec.id, err: err instanceof Error ? err.message : String(err) }, 'could not open the task card');
      tracker.cardUnavailable(rec.id, rec.scope);
      await io.replyPrivate(notices.cardUnavailable(rec.id)).catch(() => undefined);
      return rec;
    }
    // The card is up: the tracker edits it from here on, whatever happens to the write below.
    const cardSig = viewHash(view);
    tracker.attachCard(rec.id, handle, cardSig);
    try {
      await store.update(rec.id, (cur) => ({ ...cur, card: handle, cardSig }));
    } catch (err) {
      // Only a restart needs the stored handle; telling the user the card was never posted would be false.
      log.error({ taskId: rec.id, err: err instanceof Error ? err.message : String(err) }, 'the task card is posted but its handle could not be stored');
    }
    return { ...rec, card: handle, cardSig };
  }

  /** By our id or Kling's, only within the caller's platform and server. */
  async find(inv: Invocation, id: string): Promise<TaskRecord | undefined> {
    const { store, tracker } = this.deps;
    const trimmed = id.trim();
    const ourId = /^kb[0-9a-z]+$/.test(trimmed) ? trimmed : await store.idForKlingTask(trimmed);
    if (!ourId) return undefined;
    const rec = tracker.liveRecord(ourId) ?? (await store.get(ourId));
    if (!rec || rec.deleted || rec.scope.platform !== inv.platform || rec.scope.guildId !== inv.guildId) return undefined;
    return rec;
  }

  /** Refresh button or /task: poll now if running, re-show the card either way. */
  refresh(rec: TaskRecord): void {
    if (this.deps.tracker.isLive(rec.id)) this.deps.tracker.poke(rec.id);
    else this.deps.tracker.reshow(rec);
  }

  async delete(inv: Invocation, rec: TaskRecord): Promise<void> {
    if (rec.scope.userId !== inv.user.id && !this.deps.limits.isAdmin(inv)) throw new RefusedError('not_owner', refusals.notYours());
    if (!isFinal(rec.state)) throw new RefusedError('not_finished', refusals.notFinished());
    await this.deps.store.update(rec.id, (cur) => ({ ...cur, deleted: true, updatedAt: this.deps.now() }));
    const port = this.deps.ports.get(rec.scope.platform);
    if (port && rec.card) await port.deleteCard(rec.card, rec.scope);
  }
}

