import type {
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  Interaction,
  ModalSubmitInteraction,
} from 'discord.js';
import type { Dispatcher } from '../../../commands/dispatch.js';
import { prepare, type CommandInput } from '../../../commands/prepare.js';
import { commandByName } from '../../../commands/index.js';
import { suggest } from '../../../commands/suggest.js';
import type { Command } from '../../../commands/types.js';
import type { Core } from '../../core.js';
import { InteractionClosedError, ValidationError, userMessageOf } from '../../errors.js';
import { decodeButtonId } from '../../interaction-ids.js';
import { submissionOf } from '../../modals.js';
import type { Logger } from '../../log.js';
import { errorNotice, notices } from '../../render/notices.js';
import type { InteractionAcker } from './ack.js';
import { readOptions } from './commands.js';
import type { GuildGate } from './guild-gate.js';
import type { DiscordInteraction } from './handles.js';
import { invocationOf, type AdminPermission } from './invocation.js';
import { InteractionIO, type SendThroughOutbox } from './io.js';
import { submittedValues } from './modal.js';

export { invocationOf, type AdminPermission } from './invocation.js';
import type { BurstGate, BurstHold } from '../../burst-gate.js';

export interface InteractionHandlerOptions {
  core: Core;
  dispatcher: Dispatcher;
  /** Every write after the acknowledgement goes through the channel's outbox. */
  send: SendThroughOutbox;
  log: Logger;
  tokenLifetimeMs: number;
  tokenMarginMs: number;
  /** Anything still unanswered this long after it arrived is acknowledged (Discord allows 3 s). */
  ackWatchdogMs: number;
  now: () => number;
  acker: InteractionAcker;
  /** Refuses interactions from servers the bot does not serve, before anything else runs. */
  gate: GuildGate;
}

/** `make()` on first call, the same value after. */
function once<T>(make: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: make() }).v;
}

/**
 * The adapter's one interaction boundary: acknowledge in time, turn the interaction into an
 * Invocation, hand it to the dispatcher, and answer privately if anything escapes.
 */
export class InteractionHandler {
  private readonly burst: BurstGate;

  constructor(private readonly o: InteractionHandlerOptions) {
    this.burst = o.core.burst;
  }

  private get adminPermission(): AdminPermission {
    return this.o.core.config.env.DISCORD_ADMIN_PERMISSION;
  }

  /** The burst gate holds the interaction from its arrival until it is handled (burst-gate.ts). */
  handle(interaction: Interaction): Promise<void> {
    return this.burst.hold(async (hold) => {
      if (await this.o.gate.refuse(interaction, this.o.acker)) return;
      if (interaction.isChatInputCommand()) return this.onCommand(interaction, hold);
      if (interaction.isButton()) return this.onButton(interaction, hold);
      if (interaction.isModalSubmit()) return this.onModal(interaction, hold);
      if (interaction.isAutocomplete()) return this.onAutocomplete(interaction);
    });
  }

  /** Suggestions from the capability table, answered at once (pure, in memory): nothing else waits on them. */
  private async onAutocomplete(interaction: AutocompleteInteraction): Promise<void> {
    try {
      const command = commandByName(interaction.commandName);
      const focused = interaction.options.getFocused(true);
      const others = Object.fromEntries(
        interaction.options.data.filter((o) => !o.focused).map((o) => [o.name, o.value]),
      );
      // Only the models this member may use (ALLOWED_MODELS; an admin may use all).
      const inv = invocationOf(interaction, this.adminPermission);
      const mayUse = (model: string) => this.o.core.services.limits.mayUseModel(inv, model);
      const choices = command
        ? suggest(command, focused.name, String(focused.value ?? ''), others, this.o.core.services.defaults, mayUse)
        : [];
      await this.o.acker.autocomplete(interaction, choices);
    } catch (err) {
      // Nothing to tell the user: Discord just shows no suggestions.
      this.o.log.warn({ err, command: interaction.commandName }, 'autocomplete answer failed');
    }
  }

  /** `receivedAt`: when handling began (the watchdog and the token count from it), whenever the io is made. */
  private io(interaction: DiscordInteraction, log: () => Logger, hold: BurstHold, receivedAt: number): InteractionIO {
    return new InteractionIO(interaction, {
      onAcknowledged: hold.awaitsAnswer(),
      afterAnswer: () => hold.after(),
      log,
      receivedAt,
      tokenLifetimeMs: this.o.tokenLifetimeMs,
      tokenMarginMs: this.o.tokenMarginMs,
      now: this.o.now,
      acker: this.o.acker,
      send: this.o.send,
    });
  }

  private async onCommand(interaction: ChatInputCommandInteraction, hold: BurstHold): Promise<void> {
    // Everything before the acknowledgement is what deciding it needs; the rest waits.
    const log = once(() =>
      this.o.log.child({
        interaction: interaction.id,
        command: interaction.commandName,
        guild: interaction.guildId,
        channel: interaction.channelId,
        user: interaction.user.id,
      }),
    );
    // Made where it is first needed: on a command's way, once its input is read and prepared.
    const receivedAt = this.o.now();
    const io = once(() => this.io(interaction, log, hold, receivedAt));
    const { dispatcher } = this.o;
    try {
      if (!interaction.inGuild())
        return await io().replyPrivate(
          errorNotice('kling-bot works inside a server: use its commands in one of the server’s channels.'),
        );
      const command = commandByName(interaction.commandName);
      if (!command)
        return await dispatcher.runCommand(
          interaction.commandName,
          { options: {} },
          invocationOf(interaction, this.adminPermission),
          io(),
        );
      let read: CommandInput;
      try {
        read = readOptions(command, interaction.options.data);
      } catch (err) {
        if (err instanceof ValidationError)
          return await io().replyPrivate(notices.invalidOption(command.name, err.userMessage));
        throw err;
      }
      await this.run(command, read, interaction, io, hold);
    } catch (err) {
      await this.fail(io(), err, log);
    }
  }

  /** A submitted form (src/modals.ts) runs as the command it stands for, with the same checks and answers. */
  private async onModal(interaction: ModalSubmitInteraction, hold: BurstHold): Promise<void> {
    const log = once(() => this.o.log.child({ interaction: interaction.id, modal: interaction.customId }));
    const receivedAt = this.o.now();
    const io = once(() => this.io(interaction, log, hold, receivedAt));
    try {
      const submission = submissionOf(interaction.customId, submittedValues(interaction));
      const command = submission && commandByName(submission.command);
      if (!interaction.inGuild() || !submission || !command) return await io().replyPrivate(notices.unknownForm());
      await this.run(command, { options: { ...submission.raw } }, interaction, io, hold);
    } catch (err) {
      await this.fail(io(), err, log);
    }
  }

  /**
   * Prepares the command once, then hands that same value to the dispatcher while the interaction is
   * open (`watch`), acknowledged as its answer needs.
   */
  private async run(
    command: Command,
    input: CommandInput,
    interaction: ChatInputCommandInteraction | ModalSubmitInteraction,
    answers: () => InteractionIO,
    hold: BurstHold,
  ): Promise<void> {
    const prepared = prepare(command, input, this.o.core.services.defaults);
    const inv = invocationOf(interaction, this.adminPermission);
    const io = answers();
    const { ackWatchdogMs } = this.o;
    if (command.visibility === 'private') {
      await hold.acking$(io.deferEphemeral());
      return io.watch(ackWatchdogMs, 'private', async () => {
        await hold.after();
        await this.o.dispatcher.run(prepared, inv, io);
      });
    }
    // A card is the command's own answer (type 4), sent as soon as its record is written; only a
    // store slower than the watchdog makes it a public "thinking…" first. Input that will be
    // refused gets its private answer as the acknowledgement itself.
    const kind = prepared.kind === 'ready' ? 'public' : 'private';
    return io.watch(ackWatchdogMs, kind, () => this.o.dispatcher.run(prepared, inv, io));
  }

  private async onButton(interaction: ButtonInteraction, hold: BurstHold): Promise<void> {
    const log = once(() =>
      this.o.log.child({
        interaction: interaction.id,
        button: interaction.customId,
        guild: interaction.guildId,
        channel: interaction.channelId,
        user: interaction.user.id,
      }),
    );
    const io = this.io(interaction, log, hold, this.o.now());
    try {
      if (!interaction.inGuild()) return await io.replyPrivate(notices.unknownButton());
      const decoded = decodeButtonId(interaction.customId);
      // Regenerate and Extend answer with their new card (type 4); Refresh and Delete act on the card they sit on.
      const opensCard = decoded.type === 'card' && (decoded.action === 'regenerate' || decoded.action === 'extend');
      // Edit answers with its form, which can only be the first answer: never deferred.
      const opensForm = decoded.type === 'card' && decoded.action === 'edit';
      if (decoded.type === 'card' && !opensCard && !opensForm) await hold.acking$(io.deferUpdate());
      await io.watch(this.o.ackWatchdogMs, opensCard ? 'public' : 'private', async () => {
        if (io.acknowledged) await hold.after();
        await this.o.dispatcher.runButton(interaction.customId, invocationOf(interaction, this.adminPermission), io);
      });
    } catch (err) {
      await this.fail(io, err, log);
    }
  }

  private async fail(io: InteractionIO, err: unknown, log: () => Logger): Promise<void> {
    // Answered by another process running this bot, or too late: nothing can reach the user.
    if (err instanceof InteractionClosedError) {
      log().warn({ err }, 'interaction not acknowledged by this process (answered elsewhere, or too late); left alone');
      return;
    }
    log().error({ err, acknowledged: io.acknowledged }, 'discord interaction failed');
    await io
      .replyPrivate(errorNotice(userMessageOf(err)))
      .catch((replyErr: unknown) => log().warn({ err: replyErr }, 'could not tell the user about the failure'));
  }
}
