import { z } from 'zod';
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
import { parseFlags } from './flags.js';
import { commandByName } from './index.js';
import { showTasksPage } from './tasks.js';
import type { Command } from './types.js';

/** The first problem of a zod failure as "field: rule". */
export function validationErrorOf(error: z.ZodError): ValidationError {
  const issue = error.issues[0];
  const field = issue?.path.map(String).join('.') || 'input';
  const rule =
    issue?.code === 'invalid_type' && issue.input === undefined ? 'is required' : (issue?.message ?? 'is invalid');
  return new ValidationError(field, rule);
}

/** The option names a command's schema has (what the flag parser accepts). */
export const optionNames = (command: Command): string[] => Object.keys(command.options.shape);

/**
 * Parses raw options into the command's typed args. `raw` comes from Discord's typed options or
 * Slack's text; flags inside the free-text option (`a fox --ar 9:16`) are honoured on both.
 */
export function parseArgs(command: Command, raw: Record<string, unknown>): unknown {
  // An adapter's precheck and the dispatcher parse the same options object: once is enough.
  const known = parsedOnce.get(raw);
  if (known?.command === command) return known.args;
  const args = parseFresh(command, raw);
  parsedOnce.set(raw, { command, args });
  return args;
}

/** Options objects already parsed, by identity (they are never changed after they are read). */
const parsedOnce = new WeakMap<object, { command: Command; args: unknown }>();

function parseFresh(command: Command, raw: Record<string, unknown>): unknown {
  const merged: Record<string, unknown> = { ...raw };
  const free = command.freeText;
  if (free && typeof merged[free] === 'string') {
    const { text, flags } = parseFlags(
      merged[free] as string,
      optionNames(command).filter((n) => n !== free),
      command.name,
      command.repeatable,
    );
    merged[free] = text;
    for (const [key, value] of Object.entries(flags)) {
      if (merged[key] !== undefined && merged[key] !== value)
        throw new ValidationError(`--${key}`, `conflicts with the ${key} option`);
      merged[key] = value;
    }
    if (text === '' && raw[free] !== undefined && command.options.shape[free]?.safeParse(undefined).success)
      delete merged[free];
  }
  const parsed = command.options.safeParse(merged);
  if (!parsed.success) throw validationErrorOf(parsed.error);
  return parsed.data;
}

/**
 * Everything that refuses a command without asking anyone — its schema, its files, the capability
 * table — for an adapter deciding how to acknowledge. Throws the ValidationError the user will see.
 */
export function precheck(
  command: Command,
  raw: Record<string, unknown>,
  ctx: Parameters<NonNullable<Command['check']>>[1],
): void {
  const args = parseArgs(command, raw);
  command.check?.(args as never, ctx);
}

/** `/video help` (Slack's only way to see a command's options): true for the words that ask for it. */
export const asksForHelp = (text: string): boolean => /^(--)?help$/i.test(text.trim());

/** Slack form: `/video a cat surfing --ar 9:16` → raw options for parseArgs. */
export function rawFromText(command: Command, text: string): Record<string, unknown> {
  const lead = command.firstWord;
  const first = text.trim().split(/\s+/)[0] ?? '';
  if (lead && first !== '' && !/^(--|\u2014)/.test(first)) {
    const rest = text.trim().slice(first.length).trim();
    return { [lead]: first, ...(rest && command.freeText ? { [command.freeText]: rest } : {}) };
  }
  if (command.freeText) return text.trim() === '' ? {} : { [command.freeText]: text };
  const { text: rest, flags } = parseFlags(text, optionNames(command), command.name);
  if (rest)
    throw new ValidationError(rest.split(' ')[0] ?? rest, `is not understood: /${command.name} takes only --options`);
  return flags;
}

/**
 * The single entry for every command and button, whatever the platform: parse, run, and turn
 * any failure into a private message (never a crash, never an internal error text).
 */
export class Dispatcher {
  constructor(
    private readonly bot: BotServices,
    private readonly metrics: Metrics,
  ) {}

  command(name: string): Command | undefined {
    return commandByName(name);
  }

  async runCommand(name: string, raw: Record<string, unknown> | string, inv: Invocation, io: CommandIO): Promise<void> {
    const command = commandByName(name);
    // Logged only on failure: a child logger costs time before the acknowledgement of every command.
    const where = {
      command: name,
      platform: inv.platform,
      guild: inv.guildId,
      channel: inv.channelId,
      user: inv.user.id,
    };
    if (!command) return io.replyPrivate(errorNotice(`Unknown command /${name}.`));
    try {
      if (typeof raw === 'string' && asksForHelp(raw))
        return await io.replyPrivate(notices.usage(command, this.bot.defaults));
      const args = parseArgs(command, typeof raw === 'string' ? rawFromText(command, raw) : raw);
      // `args` was produced by this very command's schema; the registry just forgets which one.
      await command.execute({ inv, io, bot: this.bot }, args as never);
      this.metrics.commands.inc({ platform: inv.platform, command: name, outcome: 'ok' });
    } catch (err) {
      await this.fail(err, io, where, name, inv);
    }
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
