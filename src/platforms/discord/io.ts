import { DiscordAPIError, MessageFlags } from 'discord.js';
import type { CardHandle, TaskScope } from '../../domain.js';
import { InteractionClosedError } from '../../errors.js';
import type { CardAnswer, CardAnswering, CommandIO } from '../../invocation.js';
import type { Logger } from '../../log.js';
import type { PlatformPort, Written } from '../../port.js';
import type { CardView, PrivateView } from '../../render/view.js';
import { AckError, type InteractionAcker } from './ack.js';
import { routeOf, UNANSWERED, type AckState, type Answer } from './ack-route.js';
import {
  cardLinkOf,
  cardBody,
  restBody,
  type DiscordCardHandle,
  type DiscordInteraction,
  type DiscordReplyTarget,
} from './handles.js';
import { privateMessage } from './render.js';
import { discordModal } from './modal.js';
import type { ModalView } from '../../modals.js';
import { notices } from '../../render/notices.js';

/** Hands a write to the channel's outbox; settles once it was sent. */
export type SendThroughOutbox = (
  scope: TaskScope,
  write: (port: PlatformPort) => Promise<Written<unknown>>,
) => Promise<void>;

export interface InteractionIOOptions {
  /** Made on first use: most interactions never log, and a child logger costs time before the ack. */
  log: () => Logger;
  /** When the interaction arrived: the token's 15 minutes and the 3-second deadline count from here. */
  receivedAt: number;
  tokenLifetimeMs: number;
  tokenMarginMs: number;
  now: () => number;
  /** Sends acknowledgements (type 4/5/6/7) on a fast path of their own. */
  acker: InteractionAcker;
  /** Every write after the acknowledgement goes through the channel's outbox. */
  send: SendThroughOutbox;
  /** Told once, when this interaction has been acknowledged. */
  onAcknowledged?: () => void;
  /** Resolves once the other pending acknowledgements are out (bounded): a card's `ready` (CardAnswer). */
  afterAnswer?: () => Promise<void>;
}

/** The interaction's upload cap, when Discord sent one (older payloads lack it). */
function uploadLimitOf(interaction: DiscordInteraction): { uploadLimit?: number } {
  const limit: unknown = interaction.attachmentSizeLimit;
  return typeof limit === 'number' && Number.isSafeInteger(limit) && limit > 0 ? { uploadLimit: limit } : {};
}

/** 40060 already acknowledged, 10062 unknown interaction: Discord will take no answer for this interaction. */
const CLOSED = new Set([40060, 10062]);

/**
 * Sends the first answer (the acknowledgement). Refused as closed means another process running
 * this bot answered first (Discord sends every interaction to each of its connections), or it came
 * too late: that becomes InteractionClosedError, and nobody tries to answer again.
 */
async function acknowledge<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    const code = err instanceof AckError || err instanceof DiscordAPIError ? Number(err.code) : Number.NaN;
    if (CLOSED.has(code))
      throw new InteractionClosedError(`interaction acknowledgement refused (${code})`, { cause: err });
    throw err;
  }
}

/**
 * One interaction's CommandIO. Its acknowledgement (exempt from channel limits) is sent here;
 * every later write is a reply target handed to the outbox. Answers go out in order.
 */
export class InteractionIO implements CommandIO {
  /** What was sent so far; every answer's route is decided from it by `routeOf` (pure). */
  private state: AckState = UNANSWERED;
  private placeholderId: string | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private told = false;
  readonly scope: TaskScope;

  constructor(
    private readonly interaction: DiscordInteraction,
    private readonly o: InteractionIOOptions,
  ) {
    const name =
      interaction.member && 'displayName' in interaction.member
        ? interaction.member.displayName
        : interaction.user.displayName;
    this.scope = {
      platform: 'discord',
      guildId: interaction.guildId ?? '',
      channelId: interaction.channelId ?? '',
      userId: interaction.user.id,
      userName: name,
    };
    this.card = { by: 'interaction', handle: this.cardHandle, answer: (view) => this.answerWithCard(view) };
  }

  get acknowledged(): boolean {
    return this.state.ack !== 'none';
  }

  private moved(next: AckState): void {
    this.state = next;
    if (next.ack !== 'none') this.tell();
  }

  private tell(): void {
    if (this.told) return;
    this.told = true;
    this.o.onAcknowledged?.();
  }

  /** The card is this interaction's own answer (type 4, or the public "thinking…" a slow store left). */
  readonly card: CardAnswering;

  /** Where the card lives when it is this interaction's answer: known before anything is sent. */
  private get cardHandle(): DiscordCardHandle {
    return {
      applicationId: this.interaction.applicationId,
      guildId: this.interaction.guildId ?? '',
      channelId: this.interaction.channelId ?? '',
      route: 'webhook',
      token: this.interaction.token,
      tokenExpiresAt: this.o.receivedAt + this.o.tokenLifetimeMs - this.o.tokenMarginMs,
      target: '@original',
      // Cards made from now on are Components V2 messages (the placeholder's first edit sets the flag).
      v2: true,
      ...uploadLimitOf(this.interaction),
    };
  }

  /** Runs `work` after every earlier answer, so a watchdog defer can't race a reply. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** The acknowledgement alone (nothing once anything was sent). */
  private defer(as: 'public' | 'private' | 'update'): Promise<void> {
    return this.serial(async () => {
      const { route, next } = routeOf(this.state, { kind: 'defer', as, button: this.interaction.isButton() });
      if (route.via !== 'callback') return;
      if (route.type === 6) await acknowledge(() => this.o.acker.deferUpdate(this.interaction));
      else {
        // A public "thinking…" may become the card: its message id is asked for with it.
        const id = await acknowledge(() =>
          this.o.acker.deferReply(this.interaction, route.ephemeral === true, as === 'public'),
        );
        if (as === 'public') this.placeholderId = id;
      }
      this.moved(next);
    });
  }

  deferEphemeral = (): Promise<void> => this.defer('private');
  /** Public "thinking…": only when the card cannot be the answer in time (a slow store). */
  deferPublic = (): Promise<void> => this.defer('public');
  /** Buttons that change nothing visible right away (Refresh, Delete, paging). */
  deferUpdate = (): Promise<void> => this.defer('update');

  /**
   * Runs the command's work while the interaction is open. Discord drops an interaction not answered
   * within 3 s: if the work is still going at `afterMs` (a slow store), it is acknowledged in the way
   * that keeps every later answer possible: `public` where a card is expected, so the card can still
   * fill the placeholder.
   */
  async watch<T>(afterMs: number, kind: 'public' | 'private', work: () => Promise<T>): Promise<T> {
    const wait = Math.max(0, this.o.receivedAt + afterMs - this.o.now());
    const watchdog = setTimeout(() => {
      const late = this.defer(kind === 'public' ? 'public' : 'update');
      late.catch((err: unknown) => this.o.log().warn({ err }, 'late acknowledgement failed'));
    }, wait);
    watchdog.unref?.();
    try {
      return await work();
    } finally {
      clearTimeout(watchdog);
    }
  }

  cardLinks(handles: ReadonlyArray<CardHandle | undefined>): Promise<Array<string | undefined>> {
    return Promise.resolve(handles.map(cardLinkOf));
  }

  replyPrivate(view: PrivateView): Promise<void> {
    return this.serial(() => this.answerPrivately({ kind: 'private' }, view));
  }

  /** The form as the click's first answer (type 9); a click answered already (a slow store) is told the command. */
  openModal(view: ModalView): Promise<void> {
    return this.serial(async () => {
      if (this.state.ack !== 'none') return this.answerPrivately({ kind: 'private' }, notices.tooSlowForForm());
      await acknowledge(() => this.o.acker.modal(this.interaction, discordModal(view)));
      // Nothing may follow a modal on this interaction: its submission is a new one.
      this.moved({ ack: 'replied', settled: true });
    });
  }

  updatePrivate(view: PrivateView): Promise<void> {
    return this.serial(() =>
      this.answerPrivately({ kind: 'update-private', button: this.interaction.isButton() }, view),
    );
  }

  private async answerPrivately(answer: Answer, view: PrivateView): Promise<void> {
    const { route, next } = routeOf(this.state, answer);
    if (route.via === 'callback') {
      const ephemeral = route.ephemeral ? { flags: MessageFlags.Ephemeral } : {};
      const type = route.type === 7 ? 7 : 4;
      await acknowledge(() =>
        this.o.acker.respond(this.interaction, type, { ...restBody(privateMessage(view)), ...ephemeral }),
      );
      return this.moved(next);
    }
    this.moved(next);
    if (route.via !== 'webhook') return;
    const target: DiscordReplyTarget = {
      applicationId: this.interaction.applicationId,
      token: this.interaction.token,
      mode: route.mode,
    };
    return this.o.send(this.scope, (port) => port.replyPrivate(target, view, this.scope, route.mode === 'original'));
  }

  /**
   * The card as the command's answer (type 4) when nothing was sent yet; else the placeholder or nothing.
   * Once it is up, the task waits (`ready`) for the burst's other acknowledgements (see CardAnswer).
   */
  private async answerWithCard(view: CardView): Promise<CardAnswer> {
    const up = await this.serial(async () => {
      const { route, next } = routeOf(this.state, { kind: 'card' });
      if (route.via === 'callback') {
        await acknowledge(() => this.o.acker.respond(this.interaction, 4, cardBody(view, true)));
        this.moved(next);
        return { kind: 'shown' as const, handle: this.cardHandle };
      }
      this.moved(next);
      if (route.via !== 'placeholder') return undefined;
      const messageId = this.placeholderId ? { messageId: this.placeholderId } : {};
      return { kind: 'placeholder' as const, handle: { ...this.cardHandle, ...messageId } };
    });
    if (!up) return { kind: 'unavailable' };
    return { ...up, ready: this.o.afterAnswer?.() ?? Promise.resolve() };
  }
}
