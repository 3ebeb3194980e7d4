import { createHash } from 'node:crypto';
import type { CardHandle, MediaCopy, TaskRecord } from '../domain.js';
import { InteractionClosedError } from '../errors.js';
import type { CardAnswer, CardAnswering } from '../invocation.js';
import type { Logger } from '../log.js';
import { cardSignature } from '../render/card.js';
import type { CardView } from '../render/view.js';
import type { TaskStore } from '../store/task-store.js';

/**
 * The one owner of what a record says about its card: the handle (`card`), the signature of what
 * the card shows (`cardSig`, from `viewHash`), whether it has shown how the task ended
 * (`finalShown`), the results' copies on it (`media`) and whether it still waits to be the
 * interaction's answer (`unanswered`). The outboxes and the command side report what happened to
 * a card here; nothing else writes these fields. Updates that change a task's state and its card
 * fields in one step (the tracker's merge, an abandoned record) take the card part from the pure
 * functions below.
 */

/** The signature of a view: what a card shows, compared before an edit and kept across restarts. */
export const viewHash = (view: CardView) =>
  createHash('sha1').update(cardSignature(view)).digest('base64url').slice(0, 16);

/** The live copy of a record once its card (`card`) shows `view`: what the outbox stored for it. */
export const shownOn = (rec: TaskRecord, card: CardHandle, view: CardView): TaskRecord => ({
  ...rec,
  card,
  cardSig: viewHash(view),
});

/** What a new record says about its card at its first write. */
export type AdmittedCard = Pick<TaskRecord, 'card' | 'unanswered'>;

/** A new record's card fields: the handle its interaction's answer will live at, and that it waits for that answer. */
export const admittedCard = (answering: CardAnswering): AdmittedCard =>
  answering.by === 'interaction' ? { card: answering.handle, unanswered: true } : {};

/** The record once its card is the interaction's answer (`cardSig`: what it shows): the tracker may create it now. */
export function answeredOn(rec: TaskRecord, card: CardHandle, cardSig?: string): TaskRecord {
  const { unanswered: _unanswered, ...rest } = rec;
  return { ...rest, card, ...(cardSig ? { cardSig } : {}) };
}

/** The record once its interaction cannot carry the card: no handle, no wait; the outbox posts one. */
export function toBePosted(rec: TaskRecord): TaskRecord {
  const { card: _card, unanswered: _unanswered, ...rest } = rec;
  return rest;
}

/** `next` with the card fields of `stored`: a status update (the tracker's) never moves them. */
export const keepCard = (stored: TaskRecord, next: TaskRecord): TaskRecord => ({
  ...next,
  card: stored.card ?? next.card,
  cardSig: stored.cardSig,
  finalShown: stored.finalShown,
});

/** A record nobody was shown, closed: it waits for no answer, and no card will ever show it. */
export function withoutCard(rec: TaskRecord): TaskRecord {
  const { unanswered: _unanswered, ...rest } = rec;
  return { ...rest, finalShown: true };
}

/** What a card write changed, as the outbox reports it. */
export interface ShownUpdate {
  handle?: CardHandle;
  sig: string;
  final: boolean;
  media?: MediaCopy[];
}

/** What became of a new task's card that was to be its interaction's answer (`CardRecords.answerFirst`). */
export type FirstAnswer =
  /** Up, or a placeholder holds its place for the outbox to fill: `rec` names it and may be created now. */
  | { kind: 'answered'; rec: TaskRecord }
  /** The interaction cannot carry it: `rec` names no card, and the outbox posts one showing `view`. */
  | { kind: 'post'; rec: TaskRecord; view: CardView }
  /** Another process answered the interaction, or it came too late: nobody was shown `rec`. */
  | { kind: 'closed'; rec: TaskRecord; error: InteractionClosedError };

/** Writes the card fields; the outboxes' reports are kept in the background, and `settled` waits for them. */
export class CardRecords {
  private readonly persisting = new Set<Promise<void>>();

  constructor(
    private readonly store: Pick<TaskStore, 'update'>,
    private readonly log: Logger,
  ) {}

  /** A first card was posted (by the outbox): persisted before any edit of it goes out. */
  posted = (taskId: string, card: CardHandle, cardSig: string): Promise<void> =>
    this.persist(this.store.update(taskId, (cur) => ({ ...cur, card, cardSig })));

  /**
   * A card shows `update.sig`. A moved handle must be kept; the signature only matters once final
   * (a restart then skips the repeat edit). Mid-flight signatures are not worth a store write per edit.
   */
  shown = (taskId: string, update: ShownUpdate): void => {
    if (!update.handle && !update.final && !update.media) return;
    void this.persist(
      this.store.update(taskId, (cur) => ({
        ...cur,
        cardSig: update.sig,
        ...(update.handle ? { card: update.handle } : {}),
        ...(update.final ? { finalShown: true } : {}),
        ...(update.media ? { media: update.media } : {}),
      })),
    );
  };

  /** The card message is gone: nothing more will ever be shown on it. */
  gone = (taskId: string): void => {
    void this.persist(this.store.update(taskId, (cur) => ({ ...cur, finalShown: true })));
  };

  /**
   * A new task whose card is its interaction's answer, from the record's first write to that answer in
   * one step. `admit` (the caller's: limits, then the store) writes the record with `admittedCard`: it
   * names the handle the answer will live at and waits for it, so a crash before the answer never
   * leaves a task to be created that nobody saw (tracker/unanswered.ts). Then the card goes up as the
   * answer, showing `viewOf(record)`. Once the adapter lets the task go on (`CardAnswer.ready`: under
   * a burst, when the burst's other answers are out) the record says so (`answered`), before the task
   * can reach Kling; or it forgets the handle at once when the interaction cannot carry it
   * (`unanswerable`). Refusals from `admit` are thrown as they are.
   */
  async answerFirst(
    card: Extract<CardAnswering, { by: 'interaction' }>,
    admit: (fields: AdmittedCard) => Promise<TaskRecord>,
    viewOf: (rec: TaskRecord) => CardView,
  ): Promise<FirstAnswer> {
    const rec = await admit(admittedCard(card));
    const view = viewOf(rec);
    let answer: CardAnswer;
    try {
      answer = await card.answer(view);
    } catch (err) {
      if (err instanceof InteractionClosedError) return { kind: 'closed', rec, error: err };
      this.log.warn({ taskId: rec.id, err }, 'could not answer with the card; posting it');
      answer = { kind: 'unavailable' };
    }
    if (answer.kind === 'unavailable') {
      await this.unanswerable(rec.id);
      return { kind: 'post', rec: toBePosted(rec), view };
    }
    // Written after `ready`: a store write per answer was work a burst's later answers waited for (bench/burst.ts).
    await answer.ready;
    // A placeholder ("thinking…") shows nothing yet: the outbox fills it with the latest view.
    const cardSig = await this.answered(rec.id, answer.handle, answer.kind === 'shown' ? view : undefined);
    return { kind: 'answered', rec: answeredOn(rec, answer.handle, cardSig) };
  }

  /**
   * The card went out as the interaction's answer: the record names it and no longer waits, so the
   * tracker may create the task. `view` is what it shows (none for a placeholder, which the outbox
   * fills). The card is up whatever happens here: a failing write loses only the message id (found
   * again by the port), so it is logged, never thrown. Answers the signature shown.
   */
  async answered(taskId: string, card: CardHandle, view?: CardView): Promise<string | undefined> {
    const cardSig = view ? viewHash(view) : undefined;
    await this.store
      .update(taskId, (cur) => answeredOn(cur, card, cardSig))
      .catch((err: unknown) =>
        this.log.error(
          { taskId, err },
          view
            ? 'the task card is shown but its message id could not be stored'
            : 'the placeholder is up but its message id could not be stored',
        ),
      );
    return cardSig;
  }

  /** The interaction cannot carry the card: the record forgets the handle it was written with (it is posted). */
  async unanswerable(taskId: string): Promise<void> {
    await this.store.update(taskId, toBePosted);
  }

  /** Every report kept (before the store closes). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.persisting]);
  }

  private persist(work: Promise<unknown>): Promise<void> {
    const p = work.then(
      () => undefined,
      (err: unknown) => this.log.error({ err }, 'could not store what a card shows'),
    );
    this.persisting.add(p);
    void p.finally(() => this.persisting.delete(p));
    return p;
  }
}
