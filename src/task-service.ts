import { randomBytes } from 'node:crypto';
import { isFinal, type GenerationRequest, type TaskRecord } from './domain.js';
import { InteractionClosedError, RefusedError } from './errors.js';
import { ForcedQueryLimiter } from './forced-queries.js';
import { retryCopies } from './media/copies.js';
import type { CommandIO, Invocation } from './invocation.js';
import type { Limits } from './limits.js';
import type { Logger } from './log.js';
import { admittedCard, shownOn, type CardRecords } from './outbox/card-records.js';
import type { Outboxes } from './outbox/outboxes.js';
import { notices, refusals } from './render/notices.js';
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
   * interaction already names it) before anything is shown or sent to Kling. Then the card: as the
   * interaction's own answer where the platform allows it (no channel write), else posted through
   * the channel's outbox. Then Kling.
   */
  async submit(
    inv: Invocation,
    io: CommandIO,
    request: GenerationRequest,
    regeneratedFrom?: string,
  ): Promise<TaskRecord> {
    const { store, replay, tracker, limits, now } = this.deps;
    // Before anything is counted or written: another replica may have this very interaction.
    await claimRequest(replay, inv.requestKey);
    const rec = await store.exclusive(`user:${inv.platform}:${inv.guildId}:${inv.user.id}`, async () => {
      const t = now();
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
        // Its card is to be the interaction's answer: nothing creates it before that (tracker/unanswered.ts).
        ...admittedCard(io.cardHandle, Boolean(io.answerWithCard)),
        ...(regeneratedFrom ? { regeneratedFrom } : {}),
      };
      // Durable first: a crash from here on resumes this task instead of losing it. A store that
      // fails here refuses the command (StoreError) and nothing reaches Kling.
      return limits.admit(inv, record);
    });
    const view = tracker.view(rec);
    if (io.answerWithCard && rec.card) {
      const answered = await this.answer(rec, io, view);
      if (answered) return answered;
    }
    // The card first, then Kling: a task whose card cannot be posted (a channel the bot cannot
    // post in) is never paid for. The outbox stores the card's handle once it is up.
    const handle = await this.deps.outboxes.for(rec.scope)?.open(rec.id, rec.scope, view);
    if (handle) {
      const shown = shownOn(rec, handle, view);
      tracker.track(shown);
      return shown;
    }
    this.deps.log.warn({ taskId: rec.id }, 'could not open the task card; not sent to Kling');
    tracker.cardUnavailable(rec.id, rec.scope);
    await this.closeUnshown(rec.id);
    await io.replyPrivate(notices.cardUnavailable()).catch(() => undefined);
    return rec;
  }

  /** The card as the interaction's answer; undefined when it must be posted instead. */
  private async answer(
    rec: TaskRecord,
    io: CommandIO,
    view: ReturnType<Tracker['view']>,
  ): Promise<TaskRecord | undefined> {
    const { cards, tracker, log } = this.deps;
    let answer;
    try {
      answer = (await io.answerWithCard?.(view)) ?? { kind: 'unavailable' as const };
    } catch (err) {
      if (err instanceof InteractionClosedError) {
        // Another process answered this interaction (and owns its task), or it came too late:
        // this record was never shown to anyone, so it ends here, before Kling is asked.
        await this.closeUnshown(rec.id);
        throw err;
      }
      log.warn({ taskId: rec.id, err }, 'could not answer with the card; posting it');
      answer = { kind: 'unavailable' as const };
    }
    if (answer.kind === 'unavailable') {
      await cards.unanswerable(rec.id);
      delete rec.card;
      delete rec.unanswered;
      return undefined;
    }
    const { unanswered: _unanswered, ...answered } = rec;
    if (answer.kind === 'placeholder') {
      // A "thinking…" message holds the card's place; the outbox fills it with the latest view.
      await cards.answered(rec.id, answer.handle);
      const placed = { ...answered, card: answer.handle };
      await io.afterAnswer?.();
      tracker.track(placed);
      tracker.attachCard(rec.id, answer.handle);
      return placed;
    }
    const cardSig = await cards.answered(rec.id, answer.handle, view);
    const shown = { ...answered, card: answer.handle, ...(cardSig ? { cardSig } : {}) };
    await io.afterAnswer?.();
    tracker.track(shown);
    tracker.attachCard(rec.id, answer.handle, cardSig);
    return shown;
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
