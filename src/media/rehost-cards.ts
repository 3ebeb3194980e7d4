import type { MediaCopy, TaskRecord } from '../domain.js';
import type { Logger } from '../log.js';
import { Metrics } from '../metrics.js';
import { Outboxes } from '../outbox/outboxes.js';
import type { PlatformPort } from '../port.js';
import { renderCard } from '../render/card.js';
import type { TaskStore } from '../store/task-store.js';
import { retryCopies } from './copies.js';
import type { MediaStage } from './stage.js';

/** A card still not settled after this long is counted as failed (the outbox may still finish it). */
const GIVE_UP_MS = 5 * 60_000;
const CHECK_MS = 100;

export interface RehostCardsOptions {
  store: TaskStore;
  stage: MediaStage;
  ports: readonly PlatformPort[];
  log: Logger;
  now?: () => number;
  giveUpMs?: number;
}

/**
 * `npm run rehost`'s writes: each task's card is shown again through the bot's own per-channel
 * outboxes, so its upload rides in the card's write, paced from the platform's own rate headers,
 * and what the card ends with is stored as the bot would store it.
 */
export class RehostCards {
  private readonly outboxes: Outboxes;
  private readonly now: () => number;
  /** Cards whose final write is done (or that are gone): the copies they ended with, being stored. */
  private readonly settled = new Map<string, Promise<MediaCopy[] | undefined>>();
  /** Copies a card shows before its final write is done (see onShown). */
  private readonly copies = new Map<string, MediaCopy[]>();

  constructor(private readonly o: RehostCardsOptions) {
    this.now = o.now ?? Date.now;
    this.outboxes = new Outboxes({
      log: o.log,
      metrics: new Metrics(),
      now: this.now,
      media: o.stage,
      // Rehost never posts a card: it only edits the ones the tasks have.
      onPosted: async () => undefined,
      onShown: (taskId, update) => {
        // Slack shows the copies' write as "uploading" first; the copies come with it, the final after.
        if (update.media) this.copies.set(taskId, update.media);
        if (!update.final) return;
        const media = update.media ?? this.copies.get(taskId);
        this.copies.delete(taskId);
        const saved = o.store.update(taskId, (cur) => ({
          ...cur,
          cardSig: update.sig,
          finalShown: true,
          ...(update.handle ? { card: update.handle } : {}),
          ...(media ? { media } : {}),
        }));
        this.settled.set(
          taskId,
          saved.then(
            () => media,
            (err: unknown) => {
              o.log.error({ taskId, err }, 'could not store a copy');
              return media;
            },
          ),
        );
      },
      onGone: (taskId) => this.settled.set(taskId, Promise.resolve(undefined)),
    });
    for (const port of o.ports) this.outboxes.addPort(port);
  }

  /** True when this platform's cards can carry uploads here (Slack needs files:write). */
  canUpload(rec: TaskRecord): boolean {
    return Boolean(this.outboxes.port(rec.scope.platform)?.media);
  }

  /** Shows the card again with its copies wanted; resolves with the copies it ended with. */
  async rehost(rec: TaskRecord): Promise<MediaCopy[] | undefined> {
    const outbox = this.outboxes.for(rec.scope);
    if (!outbox || !rec.card || !this.canUpload(rec)) return undefined;
    const retry = retryCopies(rec.media);
    outbox.attach(rec.id, rec.scope, rec.card, rec.cardSig);
    outbox.offer(rec.id, renderCard(retry ? { ...rec, media: retry } : rec, { now: this.now() }));
    const end = this.now() + (this.o.giveUpMs ?? GIVE_UP_MS);
    // Settled once the outbox let the card go: written, gone, or given up after its retries.
    while (outbox.holds(rec.id) && this.now() < end) await new Promise((r) => setTimeout(r, CHECK_MS));
    if (outbox.holds(rec.id)) outbox.forget(rec.id);
    const copies = await this.settled.get(rec.id);
    this.settled.delete(rec.id);
    return copies;
  }

  /** Sends what is still queued (at most `deadlineMs`), then stops. */
  async close(deadlineMs = 2000): Promise<void> {
    await this.outboxes.drain(deadlineMs);
    this.outboxes.stop();
  }
}
