import type { CardHandle, TaskRecord } from '../domain.js';
import type { ChannelOutbox } from '../outbox/channel-outbox.js';
import type { Outboxes } from '../outbox/outboxes.js';
import { estimatedPercent, renderCard } from '../render/card.js';
import { DurationModel, estimateKey } from '../render/estimates.js';
import type { CardView } from '../render/view.js';
import type { LiveTask } from './live.js';
import type { SubmitQueue } from './submit-queue.js';

/**
 * Whether a task's card already shows what the tracker would offer as it starts following it (pure). A
 * new task's card shows its record (answered or posted with it: `cardSig`). A running task taken over
 * shows what its last leader showed: Kling's answer, asked at once, is its next edit (a repeat of the
 * old view would spend the channel's budget before the finals).
 */
export const showsAlready = (rec: TaskRecord, resumed: boolean): boolean =>
  resumed
    ? rec.card !== undefined && (rec.state === 'submitted' || rec.state === 'processing')
    : rec.cardSig !== undefined;

/**
 * What the tracker shows: a task's view (with its place in line and a duration estimate from this
 * bot's own finished tasks), offered to its channel's outbox. Only a leader writes to cards.
 */
export class TaskCards {
  readonly durations = new DurationModel();

  constructor(
    private readonly outboxes: Outboxes,
    private readonly queue: SubmitQueue,
    private readonly mayWrite: () => boolean,
    private readonly now: () => number,
  ) {}

  private channelFor(rec: TaskRecord): ChannelOutbox | undefined {
    return this.mayWrite() ? this.outboxes.for(rec.scope) : undefined;
  }

  private typicalMs(rec: TaskRecord): number | undefined {
    return this.durations.median(estimateKey(rec.request));
  }

  view(rec: TaskRecord): CardView {
    const position = rec.state === 'queued' ? this.queue.position(rec.request.kind, rec.id) : 0;
    const typicalMs = this.typicalMs(rec);
    return renderCard(rec, {
      now: this.now(),
      ...(position > 0 ? { queuePosition: position } : {}),
      ...(typicalMs ? { typicalMs } : {}),
    });
  }

  /** The card (if any) is this task's: views wanted for it go out once it has a handle. */
  attach(rec: TaskRecord, handle = rec.card, shownSig = rec.cardSig): void {
    this.channelFor(rec)?.attach(rec.id, rec.scope, handle, shownSig);
  }

  /** Wants the task's current view on its card. */
  show(live: LiveTask): void {
    const typicalMs = this.typicalMs(live.rec);
    live.estimate = estimatedPercent(live.rec, { now: this.now(), ...(typicalMs ? { typicalMs } : {}) });
    this.channelFor(live.rec)?.offer(live.rec.id, this.view(live.rec));
  }

  /** Nothing changed at Kling: only the estimate can move the card, and it is cheap to check. */
  showIfEstimateMoved(live: LiveTask): void {
    const typicalMs = this.typicalMs(live.rec);
    if (typicalMs && estimatedPercent(live.rec, { now: this.now(), typicalMs }) !== live.estimate) this.show(live);
  }

  /** Shows a finished task's card again (e.g. after a restart lost the last edit). */
  reshow(rec: TaskRecord): void {
    const channel = this.channelFor(rec);
    if (!channel || !rec.card) return;
    channel.attach(rec.id, rec.scope, rec.card, rec.cardSig);
    channel.offer(rec.id, this.view(rec));
  }

  /** Posts the first card of a task that has none; resolves once posted and stored. */
  open(rec: TaskRecord, view: CardView): Promise<CardHandle | undefined> {
    return this.outboxes.for(rec.scope)?.open(rec.id, rec.scope, view) ?? Promise.resolve(undefined);
  }

  forget(rec: Pick<TaskRecord, 'id' | 'scope'>): void {
    this.outboxes.existing(rec.scope)?.forget(rec.id);
  }

  /** A task finished: its duration teaches the estimates. */
  finished(rec: TaskRecord): void {
    if (rec.state === 'succeed' && rec.submittedAt && rec.finishedAt)
      this.durations.observe(estimateKey(rec.request), rec.finishedAt - rec.submittedAt);
  }
}
