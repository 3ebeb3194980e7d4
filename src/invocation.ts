import type { CardHandle, Platform } from './domain.js';
import type { ModalView } from './modals.js';
import type { CardView, PrivateView } from './render/view.js';

/** An uploaded file as the platform describes it. */
export interface Attachment {
  url: string;
  filename: string;
  contentType?: string;
  size: number;
  width?: number;
  height?: number;
}

/** Who asked, where: filled by an adapter from the platform's own payload. */
export interface Invocation {
  platform: Platform;
  /** Discord server id or Slack workspace (team) id. */
  guildId: string;
  channelId: string;
  user: {
    id: string;
    name: string;
    /** Discord role ids; on Slack the user's own id, so ALLOWED_ROLE_IDS can list users. */
    roleIds: readonly string[];
    /** The platform says this member administers the server. */
    isAdmin?: boolean;
  };
  /**
   * The same for every delivery of one interaction (to another replica, or again after a retry):
   * the replica that claims it first is the only one that may write, count or answer a task for it.
   */
  requestKey?: string;
}

/**
 * How the interaction's own answer went. `shown`: the card is the answer (Discord type 4), and
 * `handle` is where it lives; `placeholder`: a "thinking…" answer holds its place and the channel's
 * outbox fills it; `unavailable`: the interaction cannot carry it, so the outbox posts one. `ready`
 * is the adapter's own timing: it resolves (never rejects) once the task may go on to Kling, on
 * Discord when a burst's other acknowledgements are out (bounded), so a burst is answered first.
 */
export type CardAnswer =
  | { kind: 'shown'; handle: CardHandle; ready: Promise<void> }
  | { kind: 'placeholder'; handle: CardHandle; ready: Promise<void> }
  | { kind: 'unavailable' };

/**
 * How a command's first card reaches its channel, stated by the adapter before anything is written:
 * posted by the channel's outbox (Slack, the console), or as the interaction's own answer (Discord),
 * which will live at `handle` (so the task record names it from its first write) and whose `answer`
 * says what happened to it.
 */
export type CardAnswering =
  { by: 'outbox' } | { by: 'interaction'; handle: CardHandle; answer(view: CardView): Promise<CardAnswer> };

/** The card is posted by the channel's outbox: what an interaction that cannot carry it states. */
export const CARD_BY_OUTBOX: CardAnswering = { by: 'outbox' };

/**
 * One interaction, as a command sees it. Only what the interaction itself can do lives here (its
 * acknowledgement, which platforms exempt from channel limits); every later message write goes
 * through the channel's outbox and the platform port.
 */
export interface CommandIO {
  /** A private (ephemeral) answer to the caller: the acknowledgement itself if none was sent yet. */
  replyPrivate(view: PrivateView): Promise<void>;
  /** Replaces the private message a button was clicked on (paging). */
  updatePrivate?(view: PrivateView): Promise<void>;
  /** Answers a click with a form (the card's Edit); its submission comes back as a command (src/modals.ts). */
  openModal?(view: ModalView): Promise<void>;
  /** How the first card of a task this interaction asks for is answered. */
  readonly card: CardAnswering;
  /**
   * Links to card messages, in the order given (undefined where a card has no message yet, or the
   * platform would not say): /task and /tasks point at the card, which holds the uploaded copy.
   */
  cardLinks?(handles: ReadonlyArray<CardHandle | undefined>): Promise<Array<string | undefined>>;
}
