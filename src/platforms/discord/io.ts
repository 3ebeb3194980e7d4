import { DiscordAPIError, MessageFlags, type ButtonInteraction, type ChatInputCommandInteraction, type Message } from 'discord.js';
import type { CommandIO } from '../../../commands/types.js';
import type { CardHandle } from '../../domain.js';
import type { Logger } from '../../log.js';
import type { CardView, PrivateView } from '../../render/view.js';
import { InteractionClosedError } from '../../errors.js';
import { AckError, type InteractionAcker } from './ack.js';
import type { DiscordCardHandle } from './port.js';
import { cardMessage, privateMessage, type DiscordMessage } from './render.js';

export type DiscordInteraction = ChatInputCommandInteraction | ButtonInteraction;

/**
 * How this interaction has been acknowledged. Public or ephemeral is fixed at defer time and can
 * never change (REFERENCE Discord 3), so every answer below depends on it.
 */
type Ack = 'none' | 'defer-public' | 'defer-ephemeral' | 'defer-update' | 'replied';

export interface InteractionIOOptions {
  /** Made on first use: most interactions never log, and a child logger costs time before the ack. */
  log: () => Logger;
  /** When the interaction arrived: the token's 15 minutes and the 3-second deadline count from here. */
  receivedAt: number;
  tokenLifetimeMs: number;
  tokenMarginMs: number;
  now: () => number;
  /** Sends deferrals on a fast path; without it discord.js's own methods are used. */
  acker?: InteractionAcker;
}

/** 40060 already acknowledged, 10062 unknown interaction: Discord will take no answer for this interaction. */
const CLOSED = new Set([40060, 10062]);

/**
 * Sends the first answer (the acknowledgement). Refused as closed means another process running
 * this bot answered first (Discord sends every interaction to each of its connections), or it came
 * too late: that becomes InteractionClosedError, and nobody tries to answer again.
 */
async function acknowledge(send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (err) {
    const code = err instanceof AckError || err instanceof DiscordAPIError ? Number(err.code) : Number.NaN;
    if (CLOSED.has(code)) throw new InteractionClosedError(`interaction acknowledgement refused (${code})`, { cause: err });
    throw err;
  }
}

const asOptions = (m: DiscordMessage) => ({ content: m.content, embeds: m.embeds, components: m.components, allowedMentions: { parse: [] } });

/** One interaction's CommandIO: answers go out in order, and each picks the call its ack state allows. */
export class InteractionIO implements CommandIO {
  private ack: Ack = 'none';
  /** The deferred "thinking…" message has been filled or removed. */
  private originalSettled = false;
  private chain: Promise<unknown> = Promise.resolve();
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly interaction: DiscordInteraction,
    private readonly o: InteractionIOOptions,
  ) {}

  get acknowledged(): boolean {
    return this.ack !== 'none';
  }

  /** Runs `work` after every earlier answer, so a watchdog defer can't race a reply. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  deferPublic(): Promise<void> {
    return this.serial(() => this.deferPublicNow());
  }

  private async deferPublicNow(): Promise<void> {
    if (this.ack !== 'none') return;
    await acknowledge(() => (this.o.acker ? this.o.acker.deferReply(this.interaction, false) : this.interaction.deferReply()));
    this.ack = 'defer-public';
  }

  deferEphemeral(): Promise<void> {
    return this.serial(async () => {
      if (this.ack !== 'none') return;
      await acknowledge(() => (this.o.acker ? this.o.acker.deferReply(this.interaction, true) : this.interaction.deferReply({ flags: MessageFlags.Ephemeral })));
      this.ack = 'defer-ephemeral';
    });
  }

  /** Buttons that change nothing visible right away (Refresh, Delete, paging). */
  deferUpdate(): Promise<void> {
    return this.serial(async () => {
      if (this.ack !== 'none') return;
      if (!this.interaction.isButton()) {
        await acknowledge(() => (this.o.acker ? this.o.acker.deferReply(this.interaction, true) : this.interaction.deferReply({ flags: MessageFlags.Ephemeral })));
        this.ack = 'defer-ephemeral';
        return;
      }
      const button = this.interaction;
      await acknowledge(() => (this.o.acker ? this.o.acker.deferUpdate(button) : button.deferUpdate()));
      this.ack = 'defer-update';
    });
  }

  /**
   * Discord drops an interaction not answered within 3 s. If the command is still working at
   * `afterMs`, acknowledge it in the way that keeps every later answer possible.
   */
  armWatchdog(afterMs: number): void {
    const wait = Math.max(0, this.o.receivedAt + afterMs - this.o.now());
    this.watchdog = setTimeout(() => {
      const late = this.interaction.isButton() ? this.deferUpdate() : this.deferEphemeral();
      late.catch((err: unknown) => this.o.log().warn({ err: err instanceof Error ? err.message : String(err) }, 'late acknowledgement failed'));
    }, wait);
    this.watchdog.unref?.();
  }

  done(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
  }

  replyPrivate(view: PrivateView): Promise<void> {
    return this.serial(() => this.replyPrivateNow(privateMessage(view)));
  }

  private async replyPrivateNow(message: DiscordMessage): Promise<void> {
    const ephemeral = { ...asOptions(message), flags: MessageFlags.Ephemeral } as const;
    switch (this.ack) {
      case 'none':
        await acknowledge(() => this.interaction.reply(ephemeral));
        this.ack = 'replied';
        return;
      case 'defer-public':
        if (!this.originalSettled) {
          // The first follow-up would replace the public "thinking…" message and stay public; remove it first.
          this.originalSettled = true;
          await this.interaction.deleteReply().catch((err: unknown) => this.o.log().warn({ err: err instanceof Error ? err.message : String(err) }, 'could not remove the deferred reply'));
        }
        await this.interaction.followUp(ephemeral);
        return;
      case 'defer-ephemeral':
        if (!this.originalSettled) {
          this.originalSettled = true;
          await this.interaction.editReply(asOptions(message));
          return;
        }
        await this.interaction.followUp(ephemeral);
        return;
      default:
        await this.interaction.followUp(ephemeral);
    }
  }

  openCard(view: CardView): Promise<CardHandle> {
    return this.serial(async () => {
      const message = cardMessage(view);
      await this.deferPublicNow();
      let posted: Message;
      let target: string;
      if (this.ack === 'defer-public' && !this.originalSettled) {
        posted = await this.interaction.editReply(asOptions(message));
        this.originalSettled = true;
        target = '@original';
      } else if (this.ack === 'defer-ephemeral' && !this.originalSettled) {
        throw new Error('a public card cannot follow a private acknowledgement');
      } else {
        posted = await this.interaction.followUp(asOptions(message));
        target = posted.id;
      }
      const handle: DiscordCardHandle = {
        applicationId: this.interaction.applicationId,
        guildId: this.interaction.guildId ?? '',
        channelId: posted.channelId,
        messageId: posted.id,
        route: 'webhook',
        token: this.interaction.token,
        tokenExpiresAt: this.o.receivedAt + this.o.tokenLifetimeMs - this.o.tokenMarginMs,
        target,
      };
      return handle;
    });
  }

  updatePrivate(view: PrivateView): Promise<void> {
    return this.serial(async () => {
      const message = privateMessage(view);
      if (this.interaction.isButton() && this.ack === 'none') {
        const button = this.interaction;
        await acknowledge(() => button.update(asOptions(message)));
        this.ack = 'replied';
        return;
      }
      if (this.interaction.isButton() && this.ack === 'defer-update') {
        // After a deferred update, @original is the message the button is on.
        await this.interaction.editReply(asOptions(message));
        return;
      }
      await this.replyPrivateNow(message);
    });
  }
}
