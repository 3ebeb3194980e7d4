import type { CardHandle, MediaCopy } from '../domain.js';
import type { Logger } from '../log.js';
import { withCopies } from '../media/copies.js';
import {
  refusedCopies,
  UploadRefusedError,
  type MediaSink,
  type MediaStage,
  type PreparedMedia,
} from '../media/stage.js';
import type { CardView } from '../render/view.js';
import { TransferWithdrawnError, type TransferClaim } from '../media/transfer-slots.js';

/**
 * Where a card's platform copies stand: waiting for a transfer or being fetched (`transferring` once it
 * has one), fetched and waiting for the final write, or settled.
 */
export type CardMediaState =
  | { step: 'preparing'; transferring?: boolean }
  | { step: 'ready'; prepared: PreparedMedia }
  | { step: 'done'; copies?: MediaCopy[] };

/** Permissions already named in the log (one line per missing permission, for the admins). */
const named = new Set<string>();

/**
 * The outbox's side of platform copies (src/media). A finished card whose results have no copy
 * waits, with the view it shows, until its results are fetched; its final write then carries the
 * files, so the upload costs the channel no write of its own.
 */
export class CardMedia {
  constructor(
    private readonly stage: MediaStage | undefined,
    private readonly sink: MediaSink | undefined,
    private readonly log: Logger,
    /** The channel may have something to write now. */
    private readonly kick: () => void,
  ) {}

  /** The view as the card's known copies leave it (so a later offer never takes the copy away). */
  present(state: CardMediaState | undefined, view: CardView): CardView {
    const copies = state?.step === 'ready' ? state.prepared.copies : state?.step === 'done' ? state.copies : undefined;
    return withCopies(view, copies);
  }

  /** This view still needs its copies fetched before it is written. */
  wanted(state: CardMediaState | undefined, view: CardView): boolean {
    return Boolean(this.stage && this.sink && !state && this.stage.wants(view));
  }

  /**
   * True while the card's final waits for its copies; the first time, asks for a transfer to fetch
   * them (`ask`: how soon the channel could write this card, undefined once it no longer wants it).
   * `settle` receives the outcome (false back: the card went away meanwhile).
   */
  holds(
    state: CardMediaState | undefined,
    view: CardView,
    handle: CardHandle | undefined,
    settle: (next: CardMediaState) => boolean,
    ask: TransferClaim['ask'],
  ): boolean {
    if (state?.step === 'preparing') return true;
    if (!handle || !this.stage || !this.sink || !this.wanted(state, view)) return false;
    settle({ step: 'preparing' });
    const claim = {
      ask,
      ...(view.doneAt !== undefined ? { finished: view.doneAt } : {}),
      granted: () => void settle({ step: 'preparing', transferring: true }),
    };
    this.stage.prepare(view, handle, this.sink, claim).then(
      (prepared) => {
        if (!settle({ step: 'ready', prepared })) prepared.release();
        this.kick();
      },
      (err: unknown) => {
        if (!(err instanceof TransferWithdrawnError))
          this.log.warn({ taskId: view.taskId, err }, 'could not fetch the results for the platform');
        settle({ step: 'done' });
        this.kick();
      },
    );
    return true;
  }

  /** Writes the final with its files; a refusal by the platform leaves copies that say why, for a plain write. */
  async attach(
    prepared: PreparedMedia,
    handle: CardHandle,
    view: CardView,
    scope: Parameters<MediaSink['attach']>[2],
  ): Promise<{ written?: Awaited<ReturnType<MediaSink['attach']>>; refused?: MediaCopy[] }> {
    if (!this.sink) return {};
    try {
      return { written: await this.sink.attach(handle, view, scope, prepared.files, prepared.mention) };
    } catch (err) {
      if (!(err instanceof UploadRefusedError)) throw err;
      if (err.permission && !named.has(`${scope.platform}:${err.permission}`)) {
        named.add(`${scope.platform}:${err.permission}`);
        this.log.warn(
          { platform: scope.platform, permission: err.permission, channel: scope.channelId },
          `uploads refused: the bot needs "${err.permission}" here; cards keep Kling's links meanwhile`,
        );
      }
      return { refused: refusedCopies(prepared.copies, err, this.sink.uploadLimit(handle)) };
    }
  }
}
