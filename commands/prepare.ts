import type { z } from 'zod';
import { ValidationError } from '../src/errors.js';
import { parseFlags } from './flags.js';
import type { ModelDefaults } from './generation.js';
import type { Attachment, Command, Plan } from './types.js';

/**
 * Parse once (docs/architecture.md, the command path): a command's native input becomes its typed
 * arguments, and what it will do, here and nowhere else. Pure: an adapter runs it before choosing its
 * acknowledgement, and the dispatcher runs the value it returned.
 */

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
 * Native input as an adapter read it: typed options (Discord's, with the files uploaded for its
 * attachment options; a submitted form's, see src/modals.ts) or the text form (Slack's, the console's).
 */
export type CommandInput =
  | { options: Record<string, unknown>; attachments?: Readonly<Record<string, Attachment>> }
  /**
   * `imageFirst`: Slack's form, where text stands in for uploads: a command that allows it
   * (`firstWordIsImage`) takes its first word as the image's link (`/animate URL prompt`).
   */
  | { text: string; imageFirst?: boolean };

/**
 * What a command will do, decided once from its input without asking anyone: show its usage
 * (`/video help`), refuse (the error the user is told), or run with these arguments: the Plan the
 * command's own `prepare` made of them, or (a command without one) its `execute`. The adapter
 * chooses its acknowledgement from it (a card or a private answer) and the dispatcher runs this
 * very value.
 */
export type Prepared =
  | { kind: 'help'; command: Command }
  | { kind: 'refused'; command: Command; error: unknown }
  | { kind: 'ready'; command: Command; args: unknown; plan?: Plan };

/** The one place a command's input becomes its typed arguments and what it will do. Pure. */
export function prepare(command: Command, input: CommandInput, defaults: ModelDefaults): Prepared {
  if ('text' in input && asksForHelp(input.text)) return { kind: 'help', command };
  try {
    const args = parseArgs(
      command,
      'text' in input ? rawFromText(command, input.text, input.imageFirst) : input.options,
    );
    const attachments = ('attachments' in input ? input.attachments : undefined) ?? {};
    // `args` was produced by this very command's schema; the registry just forgets which one.
    const plan = command.prepare?.(args as never, { attachments, defaults });
    return { kind: 'ready', command, args, ...(plan ? { plan } : {}) };
  } catch (error) {
    return { kind: 'refused', command, error };
  }
}

/**
 * Parses raw options into the command's typed args. `raw` comes from Discord's typed options, a
 * form or the text form; flags inside the free-text option (`a fox --ar 9:16`) are honoured on all.
 */
export function parseArgs(command: Command, raw: Record<string, unknown>): unknown {
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

/** `/video help` (Slack's only way to see a command's options): true for the words that ask for it. */
export const asksForHelp = (text: string): boolean => /^(--)?help$/i.test(text.trim());

/**
 * The text form → raw options for parseArgs: `/video a cat surfing --ar 9:16`. A leading word may
 * stand for an option: `/extend kb123 the camera pulls back` (`firstWord`), and on Slack `/animate URL
 * prompt` (`imageFirst` with the command's `firstWordIsImage`: Slack has no uploads, so the image's link
 * comes first). A leading `--flag` means the user named the options themselves. `/video`'s images come
 * only as `--image URL`.
 */
export function rawFromText(command: Command, text: string, imageFirst = false): Record<string, unknown> {
  const trimmed = text.trim();
  const lead = imageFirst && command.firstWordIsImage ? command.attachmentOptions?.[0] : command.firstWord;
  const first = trimmed.split(/\s+/)[0] ?? '';
  if (lead && first !== '' && !/^(--|\u2014)/.test(first)) {
    const rest = trimmed.slice(first.length).trim();
    return { [lead]: first, ...(rest && command.freeText ? { [command.freeText]: rest } : {}) };
  }
  if (command.freeText) return trimmed === '' ? {} : { [command.freeText]: text };
  const { text: rest, flags } = parseFlags(text, optionNames(command), command.name);
  if (rest)
    throw new ValidationError(rest.split(' ')[0] ?? rest, `is not understood: /${command.name} takes only --options`);
  return flags;
}
