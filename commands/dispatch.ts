import {
  BotError,
  InteractionClosedError,
  NotFoundError,
  RefusedError,
  ValidationError,
  userMessageOf,
} from '../src/errors.js';
import { extendRequest } from '../src/extend.js';
import { editModal } from '../src/modals.js';
import { editViolationOf } from '../src/omni/edit-request.js';
import { expiredImagesReason } from '../src/omni/image-links.js';
import { decodeButtonId } from '../src/interaction-ids.js';
import type { CommandIO, Invocation } from '../src/invocation.js';
import type { Metrics } from '../src/metrics.js';
import { errorNotice, notices } from '../src/render/notices.js';
import type { BotServices } from '../src/services.js';
import { commandByName } from './index.js';
import { prepare, type CommandInput, type Prepared } from './prepare.js';
import { showTasksPage } from './tasks.js';

/**
 * The single entry for every command and button, whatever the platform: run what `prepare`
 * (prepare.ts) decided, and turn any failure into a private message (never a crash, never an
 * internal error text).
 */
export class Dispatcher {
  constructor(
    private readonly bot: BotServices,
    private readonly metrics: Metrics,
  ) {}

  /**
   * Runs what `prepare` decided: the usage, the refusal as a private message, or the command with
   * its prepared arguments. Any failure becomes a private message.
   */
  async run(what: Prepared, inv: Invocation, io: CommandIO): Promise<void> {
    const { name } = what.command;
    // Logged only on failure: a child logger costs time before the acknowledgement of every command.
    const where = {
      command: name,
      platform: inv.platform,
      guild: inv.guildId,
      channel: inv.channelId,
      user: inv.user.id,
    };
    try {
      if (what.kind === 'help') return await io.replyPrivate(notices.usage(what.command, this.bot.defaults));
      if (what.kind === 'refused') throw what.error;
      await this.carryOut(what, inv, io);
      this.metrics.commands.inc({ platform: inv.platform, command: name, outcome: 'ok' });
    } catch (err) {
      await this.fail(err, io, where, name, inv);
    }
  }

  /** The command's Plan as it is (never back into the command's file), or the handler of one without a Plan. */
  private async carryOut(what: Extract<Prepared, { kind: 'ready' }>, inv: Invocation, io: CommandIO): Promise<void> {
    const { command, args, plan } = what;
    if (!plan) {
      if (!command.execute) throw new Error(`/${command.name} has neither prepare nor execute`);
      return command.execute({ inv, io, bot: this.bot }, args as never);
    }
    if ('submit' in plan) {
      await this.bot.tasks.submit(inv, io, plan.submit);
      return;
    }
    if (!io.openModal) throw plan.withoutForm;
    return io.openModal(plan.form);
  }

  /** Prepares and runs in one go, where nothing is decided in between (Slack, a form, the console). */
  async runCommand(name: string, input: CommandInput | string, inv: Invocation, io: CommandIO): Promise<void> {
    const command = commandByName(name);
    if (!command) return io.replyPrivate(errorNotice(`Unknown command /${name}.`));
    return this.run(prepare(command, typeof input === 'string' ? { text: input } : input, this.bot.defaults), inv, io);
  }

  async runButton(customId: string, inv: Invocation, io: CommandIO): Promise<void> {
    const where = { button: customId, platform: inv.platform, guild: inv.guildId, user: inv.user.id };
    const decoded = decodeButtonId(customId);
    try {
      if (decoded.type === 'unknown') return await io.replyPrivate(notices.unknownButton());
      if (decoded.type === 'page') {
        if (decoded.query.owner !== inv.user.id) return await io.replyPrivate(notices.notYourPage());
        const view = await showTasksPage(this.bot, inv, io, decoded.query);
        return await (io.updatePrivate ? io.updatePrivate(view) : io.replyPrivate(view));
      }
      const rec = await this.bot.tasks.find(inv, decoded.taskId);
      if (!rec) throw new NotFoundError('This task');
      if (decoded.action === 'refresh') return this.bot.tasks.refresh(rec, inv.user.id);
      if (decoded.action === 'delete') {
        await this.bot.tasks.delete(inv, rec);
        return await io.replyPrivate(notices.deleted());
      }
      if (decoded.action === 'edit') {
        // The form asks what should change; refused here first, so nobody types into a form that cannot work.
        const why = editViolationOf(rec, this.bot.defaults.omniModel, this.bot.now());
        if (why) throw new RefusedError(`edit_${why.rule}`, `**${rec.id}** ${why.message}`);
        if (!io.openModal) return await io.replyPrivate(notices.editByCommand(rec.id));
        return await io.openModal(editModal(rec.id));
      }
      if (decoded.action === 'extend') {
        // The same prompt, 4–5 s more: a new task of its own that counts against the limits.
        await this.bot.tasks.submit(inv, io, extendRequest(rec, this.bot.now()));
        this.metrics.commands.inc({ platform: inv.platform, command: 'extend', outcome: 'ok' });
        return;
      }
      const expired = rec.request.kind === 'omni' && expiredImagesReason(rec.request.imagesExpireAt, this.bot.now());
      if (expired) throw new RefusedError('images_expired', expired);
      await this.bot.tasks.submit(inv, io, rec.request, rec.id);
      this.metrics.commands.inc({ platform: inv.platform, command: 'regenerate', outcome: 'ok' });
    } catch (err) {
      await this.fail(err, io, where, 'button', inv);
    }
  }

  private async fail(
    err: unknown,
    io: CommandIO,
    where: Record<string, string>,
    name: string,
    inv: Invocation,
  ): Promise<void> {
    const log = this.bot.log.child(where);
    if (err instanceof InteractionClosedError) {
      this.metrics.commands.inc({ platform: inv.platform, command: name, outcome: 'closed' });
      log.info({ err: err.message }, 'interaction closed before it could be answered; nothing sent');
      return;
    }
    const expected = err instanceof BotError;
    this.metrics.commands.inc({ platform: inv.platform, command: name, outcome: expected ? err.code : 'error' });
    if (expected) log.info({ code: err.code }, 'command refused');
    else log.error({ err }, 'command failed');
    const text = userMessageOf(err);
    const view = err instanceof ValidationError ? notices.invalidOption(name, text) : errorNotice(text);
    await io.replyPrivate(view).catch((replyErr: unknown) => {
      if (replyErr instanceof InteractionClosedError)
        log.info({ err: replyErr.message }, 'interaction closed before it could be answered; nothing sent');
      else log.warn({ err: replyErr }, 'could not send the error reply');
    });
  }
}
