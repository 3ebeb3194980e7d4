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
  /** Uploaded files by option name (Discord `/animate` image and end_image). */
  attachments?: Readonly<Record<string, Attachment>>;
  /**
   * The same for every delivery of one interaction (to another replica, or again after a retry):
   * the replica that claims it first is the only one that may write, count or answer a task for it.
   */
  requestKey?: string;
}

/**
 * How the interaction's own answer went. `shown`: the card is the answer (Discord type 4), and
 * `handle` is where it lives; `placeholder`: a "thinking…" answer holds its place and the channel's
 * outbox fills it; `unavailable`: the interaction cannot carry it, so the outbox posts one.
 */
export type CardAnswer =
  { kind: 'shown'; handle: CardHandle } | { kind: 'placeholder'; handle: CardHandle } | { kind: 'unavailable' };

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
  /**
   * Where the card will live if it is shown as this interaction's answer. Known before anything is
   * sent, so the task record carries it from its first write.
   */
  readonly cardHandle?: CardHandle;
  /** Shows the card as the interaction's own answer when the platform allows it. */
  answerWithCard?(view: CardView): Promise<CardAnswer>;
  /**
   * Resolves once the platform's other pending acknowledgements are out (bounded): work that has
   * no deadline (asking Kling) waits for it, so a burst of commands is answered first.
   */
  afterAnswer?(): Promise<void>;
  /**
   * Links to card messages, in the order given (undefined where a card has no message yet, or the
   * platform would not say): /task and /tasks point at the card, which holds the uploaded copy.
   */
  cardLinks?(handles: ReadonlyArray<CardHandle | undefined>): Promise<Array<string | undefined>>;
}
