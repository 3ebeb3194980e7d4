import { isFinal, type CardHandle, type TaskScope } from '../domain.js';
import type { PreparedMedia } from '../media/stage.js';
import { CardGoneError, CardPostError, PortRateLimitError, type PlatformPort, type Written } from '../port.js';
import type { CardView } from '../render/view.js';
import { sharedShape } from '../shared-shape.js';
import type { CardMedia } from './card-media.js';
import type { Priority } from './next-write.js';
import type { RatePacer } from './pacer.js';
import { viewHash } from './card-records.js';
import type { CardSlot, ChannelOutboxDeps } from './slots.js';

const MAX_FAILURES = 5;

/** What one card write uses of its channel's outbox. */
export interface CardWriter {
  deps: ChannelOutboxDeps;
  pacer: RatePacer;
  media: CardMedia;
  cards: Map<string, CardSlot>;
  /** Rate limits pause the channel; true when `err` was one. */
  paused: (err: unknown) => boolean;
  send: (
    scope: TaskScope,
    priority: Priority,
    write: (port: PlatformPort) => Promise<Written<unknown>>,
    mention?: boolean,
  ) => Promise<void>;
}

/**
 * Posts or edits one card with its wanted view (and, on a final, the fetched copies), then records
 * what it shows. A failure backs the channel off and keeps the view wanted, up to MAX_FAILURES.
 */
export async function writeCard(w: CardWriter, taskId: string, slot: CardSlot): Promise<void> {
  const wanted = slot.wanted;
  if (!wanted) return;
  const { port, metrics, log } = w.deps;
  const posting = !slot.handle;
  // Fetched copies ride in the final write: the view that shows them, and the files.
  const ready = slot.media?.step === 'ready' && isFinal(wanted.view.state) ? slot.media.prepared : undefined;
  const view = w.media.present(slot.media, wanted.view);
  let sig = view === wanted.view ? wanted.sig : viewHash(view);
  // The card shows another view for now (Slack: "uploading" until the file is in its thread): still wanted.
  let interim = false;
  try {
    let moved: CardHandle | undefined;
    if (slot.handle) {
      const carried = ready && (await withClaimedMention(w, taskId, ready));
      const carry = carried && (carried.files.length > 0 || carried.mention) ? carried : undefined;
      const out = carry ? await w.media.attach(carry, slot.handle, view, slot.scope) : undefined;
      if (out?.refused && ready) {
        // The platform refused the files: the card goes out plain, with Kling's link and a note.
        ready.release();
        slot.media = { step: 'ready', prepared: { ...ready, copies: out.refused, files: [], release: () => {} } };
        return;
      }
      const written = out?.written ?? (await port.edit(slot.handle, view, slot.scope));
      if (out?.written?.shown) {
        interim = true;
        sig = viewHash(out.written.shown);
      }
      w.pacer.learn(written.rate);
      moved = written.value;
      if (moved) slot.handle = sharedShape(moved);
      if (ready) mediaWritten(w, taskId, slot, ready, view);
    } else {
      const written = await port.post(slot.scope, wanted.view);
      w.pacer.learn(written.rate);
      slot.handle = sharedShape(written.value);
      // Persisted before anything else is written for this card, so a restart edits this message.
      await w.deps.onPosted(taskId, written.value, wanted.sig);
      const posted = slot.posting;
      slot.posting = undefined;
      posted?.resolve(written.value);
    }
    metrics.edits.inc({ platform: port.platform, outcome: 'ok' });
    slot.shownSig = sig;
    slot.shownState = wanted.view.state;
    slot.failures = 0;
    // A newer view may have arrived while the write was in flight.
    if (slot.wanted === wanted && !interim) slot.wanted = undefined;
    if (!posting || isFinal(wanted.view.state))
      w.deps.onShown(taskId, {
        sig,
        final: isFinal(wanted.view.state) && !interim,
        ...(moved ? { handle: moved } : {}),
        ...(ready ? { media: ready.copies } : {}),
      });
    if (!slot.wanted && isFinal(wanted.view.state) && w.cards.get(taskId) === slot) w.cards.delete(taskId);
  } catch (err) {
    if (err instanceof PortRateLimitError && err.holds === 'card' && !posting) {
      slot.heldUntil = w.deps.now() + err.retryAfterMs;
      return;
    }
    if (w.paused(err)) {
      metrics.edits.inc({ platform: port.platform, outcome: 'rate_limited' });
      return;
    }
    metrics.edits.inc({ platform: port.platform, outcome: 'error' });
    if (ready) {
      // Never a broken card: the files are dropped, and the next try shows the link and a note.
      ready.release();
      const failed = ready.copies.map((c) =>
        c.outcome === 'uploaded' ? { url: c.url, outcome: 'failed' as const, at: c.at } : c,
      );
      slot.media = { step: 'ready', prepared: { ...ready, copies: failed, files: [], release: () => {} } };
    }
    if (err instanceof CardGoneError && !posting) {
      log.info({ taskId }, 'card message is gone; no more edits');
      w.cards.delete(taskId);
      w.deps.onGone(taskId);
      return;
    }
    slot.failures++;
    log.warn({ taskId, failures: slot.failures, posting, err }, posting ? 'card post failed' : 'card edit failed');
    if (err instanceof CardPostError || slot.failures >= MAX_FAILURES) {
      slot.wanted = undefined;
      slot.failures = 0;
      if (posting || isFinal(wanted.view.state)) w.cards.delete(taskId);
      slot.posting?.resolve(undefined);
      slot.posting = undefined;
    } else {
      // Back off this channel a little; the view stays wanted.
      w.pacer.pause(250 * 2 ** slot.failures);
    }
  }
}

/**
 * The final with its copies is shown: the transfer slot frees, and the requester hears of it (a
 * follow-up where the sink has one, which leaves the channel to other cards' finals for a while).
 */
function mediaWritten(w: CardWriter, taskId: string, slot: CardSlot, ready: PreparedMedia, view: CardView): void {
  ready.release();
  slot.media = { step: 'done', copies: ready.copies };
  const sink = w.deps.port.media;
  const handle = slot.handle;
  if (!ready.mention || !sink?.mention || !handle) return;
  const mention = sink.mention.bind(sink);
  // Claimed when the mention's turn comes (it may wait behind the channel's finals for a while).
  const write = async (): Promise<Written<unknown>> =>
    (await claimed(w, taskId)) ? mention(handle, view, slot.scope) : { value: undefined };
  w.send(slot.scope, 1, write, true).catch((err: unknown) =>
    w.deps.log.warn({ taskId, err }, 'could not mention the requester'),
  );
}

/**
 * The final's copies, with the mention they carry only when this write claimed it. A sink with a follow-up (Discord)
 * mentions there, so the claim waits for it; one without (Slack) mentions in the upload's comment.
 */
async function withClaimedMention(w: CardWriter, taskId: string, ready: PreparedMedia): Promise<PreparedMedia> {
  if (!ready.mention || w.deps.port.media?.mention) return ready;
  return (await claimed(w, taskId)) ? ready : { ...ready, mention: false };
}

/** A store that cannot answer does not silence the requester: mentioned as before the claim existed. */
async function claimed(w: CardWriter, taskId: string): Promise<boolean> {
  try {
    return (await w.deps.mayMention?.(taskId)) ?? true;
  } catch (err) {
    w.deps.log.warn({ taskId, err }, 'could not claim the mention in the store; mentioning anyway');
    return true;
  }
}
