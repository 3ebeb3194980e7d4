import { randomBytes } from 'node:crypto';
import { isFinal, type GenerationRequest, type TaskRecord } from './domain.js';
import { RefusedError } from './errors.js';
import { ForcedQueryLimiter } from './forced-queries.js';
import { retryCopies } from './media/copies.js';
import type { CommandIO, Invocation } from './invocation.js';
import type { Limits } from './limits.js';
import type { Logger } from './log.js';
import { shownOn, type AdmittedCard, type CardRecords, type FirstAnswer } from './outbox/card-records.js';
import type { Outboxes } from './outbox/outboxes.js';
import { renderCard } from './render/card.js';
import { notices, refusals } from './render/notices.js';
import type { CardView } from './render/view.js';
import { claimRequest } from './store/request-claims.js';
import type { BudgetRecords } from './store/budget-records.js';
import type { ReplayCache } from './store/replay-cache.js';
import type { TaskStore } from './store/task-store.js';
import type { Tracker } from './tracker/tracker.js';
import { abandonUnshown } from './tracker/unanswered.js';

/** How often a record nobody was shown is asked to close before the store is given up on (see closeUnshown). */
const CLOSE_ATTEMPTS = 3;

/** Our task ids: short enough to type into /task, random enough to be Kling's external_task_id. */
export const newTaskId = () => `kb${randomBytes(8).readBigUInt64BE().toString(36).padStart(13, '0').slice(0, 12)}`;

/**
 * The use cases behind the commands and buttons: submit (durably, then the card, then Kling),
 * find, refresh, delete, page. Platform-neutral; the card's home is reached through ports.
 */
export class TaskService {
  /**
   * Limits are checked and the record written under one lock per user, so two quick commands can't both slip under a
   * cap; the server cap is one atomic step in the store.
   */

  constructor(
    private readonly deps: {
      store: TaskStore;
      /** Where a request is claimed (request-claims.ts). */
      replay: ReplayCache;
      budgets: BudgetRecords;
      /** Writes what the record says about its card (outbox/card-records.ts). */
      cards: CardRecords;
      tracker: Tracker;
      limits: Limits;
      log: Logger;
      outboxes: Outboxes;
      now: () => number;
      forcedQueries?: ForcedQueryLimiter;
      /** Which Kling API standard carries a new task (the Kling client's routing); kept on its record. */
      standardFor?: (request: GenerationRequest) => TaskRecord['standard'];
    },
  ) {
    this.forcedQueries = deps.forcedQueries ?? new ForcedQueryLimiter(deps.now);
  }

  private readonly forcedQueries: ForcedQueryLimiter;

  /**
   * Durable first: limits are checked and the record written (with the card's handle when the
   * interaction's answer is to be the card) before anything is shown or sent to Kling. Then the card,
   * the way the adapter said it is answered (`io.card`): as the interaction's own answer
   * (`CardRecords.answerFirst`, the record's card from its first write to that answer), else (or when
   * the interaction cannot carry it after all) posted through the channel's outbox. Then Kling.
   */
  async submit(
    inv: Invocation,
    io: CommandIO,
    request: GenerationRequest,
    regeneratedFrom?: string,
  ): Promise<TaskRecord> {
    const { store, replay, tracker, limits } = this.deps;
    // Before anything is counted or written: another replica may have this very interaction.
    await claimRequest(replay, inv.requestKey);
    // Durable first: a crash from here on resumes this task instead of losing it. A store that
    // fails here refuses the command (StoreError) and nothing reaches Kling.
    const admit = (card: AdmittedCard) =>
      store.exclusive(`user:${inv.platform}:${inv.guildId}:${inv.user.id}`, () =>
        limits.admit(inv, this.newRecord(inv, request, card, regeneratedFrom)),
      );
    const first: FirstAnswer =
      io.card.by === 'interaction'
        ? await this.deps.cards.answerFirst(io.card, admit, this.firstView)
        : await admit({}).then((rec) => ({ kind: 'post', rec, view: this.firstView(rec) }));
    if (first.kind === 'closed') {
      // This record was never shown to anyone, so it ends here, before Kling is asked.
      await this.closeUnshown(first.rec.id);
      throw first.error;
    }
    const shown = first.kind === 'answered' ? first.rec : await this.post(first.rec, first.view, io);
    // One hand-over to the tracker, whichever way the card went up: it attaches it, then asks Kling.
    if (shown) tracker.track(shown);
    return shown ?? first.rec;
  }

  /** A new task's record, as its first write has it (`card`: what it says about its card). */
  private newRecord(inv: Invocation, request: GenerationRequest, card: AdmittedCard, regeneratedFrom?: string) {
    const t = this.deps.now();
    const record: TaskRecord = {
      id: newTaskId(),
      scope: {
        platform: inv.platform,
        guildId: inv.guildId,
        channelId: inv.channelId,
        userId: inv.user.id,
        userName: inv.user.name,
      },
      request,
      state: 'pending',
      ...(this.deps.standardFor ? { standard: this.deps.standardFor(request) } : {}),
      createdAt: t,
      updatedAt: t,
      ...card,
      ...(regeneratedFrom ? { regeneratedFrom } : {}),
    };
    return record;
  }

  /**
   * A new task's card: pending, so neither a place in line nor a duration estimate is on it yet
   * (what the tracker's view adds later); rendered here, not asked of the tracker.
   */
  private readonly firstView = (rec: TaskRecord): CardView => renderCard(rec, { now: this.deps.now() });

  /**
   * The card first, then Kling: a task whose card cannot be posted (a channel the bot cannot post
   * in) is never paid for. The outbox stores the card's handle once it is up.
   */
  private async post(rec: TaskRecord, view: CardView, io: CommandIO): Promise<TaskRecord | undefined> {
    const handle = await this.deps.outboxes.for(rec.scope)?.open(rec.id, rec.scope, view);
    if (handle) return shownOn(rec, handle, view);
    this.deps.log.warn({ taskId: rec.id }, 'could not open the task card; not sent to Kling');
    this.deps.tracker.cardUnavailable(rec.id, rec.scope);
    await this.closeUnshown(rec.id);
    await io.replyPrivate(notices.cardUnavailable()).catch(() => undefined);
    return undefined;
  }

  /**
   * Ends a record nobody was shown, before Kling is ever asked, and gives its slots back. A pending
   * record left behind would wait for an answer that never comes (and be abandoned only later), so
   * a failing store is asked again a few times.
   */
  private async closeUnshown(id: string): Promise<void> {
    const { store, budgets, log, now } = this.deps;
    for (let attempt = 1; ; attempt++) {
      try {
        await abandonUnshown({ tasks: store, budgets }, id, now());
        return;
      } catch (err) {
        if (attempt >= CLOSE_ATTEMPTS) {
          log.error(
            { taskId: id, err },
            'an unacknowledged task could not be closed in the store; it is abandoned later',
          );
          return;
        }
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
    }
  }

  /** By our id or Kling's, only within the caller's platform and server. */
  async find(inv: Invocation, id: string): Promise<TaskRecord | undefined> {
    const { store, tracker } = this.deps;
    const trimmed = id.trim();
    const ourId = /^kb[0-9a-z]+$/.test(trimmed) ? trimmed : await store.idForKlingTask(trimmed);
    if (!ourId) return undefined;
    const rec = tracker.liveRecord(ourId) ?? (await store.get(ourId));
    if (!rec || rec.deleted || rec.scope.platform !== inv.platform || rec.scope.guildId !== inv.guildId)
      return undefined;
    return rec;
  }

  /**
   * Refresh button or /task: poll now if running (within the forced-query budget: anyone can
   * click Refresh on any card), re-show the card if finished.
   */
  refresh(rec: TaskRecord, userId: string): void {
    if (!this.deps.tracker.isLive(rec.id)) {
      // A copy whose upload failed is tried again; each try is a download, so it is paced like a forced query.
      const retry = retryCopies(rec.media);
      const again = retry && this.forcedQueries.allow(rec.id, userId);
      return this.deps.tracker.reshow(again ? { ...rec, media: retry } : rec);
    }
    if (this.forcedQueries.allow(rec.id, userId)) this.deps.tracker.poke(rec.id);
  }

  async delete(inv: Invocation, rec: TaskRecord): Promise<void> {
    if (rec.scope.userId !== inv.user.id && !this.deps.limits.isAdmin(inv))
      throw new RefusedError('not_owner', refusals.notYours());
    if (!isFinal(rec.state)) throw new RefusedError('not_finished', refusals.notFinished());
    await this.deps.store.update(rec.id, (cur) => ({ ...cur, deleted: true, updatedAt: this.deps.now() }));
    const card = rec.card;
    const outbox = this.deps.outboxes.for(rec.scope);
    if (!outbox || !card) return;
    outbox.forget(rec.id);
    await outbox.send(rec.scope, 1, (port) => port.delete(card, rec.scope));
  }
}
