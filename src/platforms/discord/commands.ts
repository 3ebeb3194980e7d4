import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  InteractionContextType,
  Routes,
  type APIApplicationCommandBasicOption,
  type CommandInteractionOption,
  type REST,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { z } from 'zod';
import { commands as allCommands } from '../../../commands/index.js';
import { suggestedOptions } from '../../../commands/suggest.js';
import type { Attachment, Command } from '../../../commands/types.js';
import { ValidationError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { clip } from './render.js';

/** Discord's own bounds for command definitions (https://discord.com/developers/docs/interactions/application-commands). */
const DESCRIPTION_MAX = 100;
const CHOICES_MAX = 25;
const STRING_MAX = 6000;
const SAFE_INT = Number.MAX_SAFE_INTEGER;

/** The part of `z.toJSONSchema` output we map; anything else in it is ignored. */
const JsonProp = z.object({
  type: z.enum(['string', 'number', 'integer', 'boolean']).optional(),
  description: z.string().optional(),
  enum: z.array(z.union([z.string(), z.number()])).optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  minLength: z.number().int().optional(),
  maxLength: z.number().int().optional(),
});
type JsonProp = z.infer<typeof JsonProp>;
const JsonObjectSchema = z.object({
  properties: z.record(z.string(), JsonProp).default({}),
  required: z.array(z.string()).default([]),
});

/** The URL twin of an attachment option: `/animate image:<file>` or `/animate image_url:<link>`. */
export const urlOptionName = (attachmentOption: string) => `${attachmentOption}_url`;

const describe = (text: string | undefined, fallback: string) => clip((text ?? '').trim() || fallback, DESCRIPTION_MAX);
const humanize = (name: string) => name.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

function optionOf(
  name: string,
  prop: JsonProp,
  required: boolean,
  autocomplete = false,
): APIApplicationCommandBasicOption {
  const description = describe(prop.description, humanize(name));
  // Suggestions replace fixed choices (Discord allows one or the other); the value stays free text the schema checks.
  if (autocomplete)
    return {
      type: ApplicationCommandOptionType.String,
      name,
      description,
      required,
      autocomplete: true,
      ...(prop.maxLength !== undefined ? { max_length: Math.min(prop.maxLength, STRING_MAX) } : {}),
    };
  const choices = prop.enum && prop.enum.length <= CHOICES_MAX ? prop.enum : undefined;
  if (prop.type === 'integer' || prop.type === 'number') {
    const numericChoices = choices?.map((v) => ({ name: String(v), value: Number(v) }));
    const bounds = {
      ...(prop.minimum !== undefined && Math.abs(prop.minimum) < SAFE_INT ? { min_value: prop.minimum } : {}),
      ...(prop.maximum !== undefined && Math.abs(prop.maximum) < SAFE_INT ? { max_value: prop.maximum } : {}),
    };
    if (prop.type === 'integer') {
      const type = ApplicationCommandOptionType.Integer;
      return numericChoices
        ? { type, name, description, required, choices: numericChoices }
        : { type, name, description, required, ...bounds };
    }
    const type = ApplicationCommandOptionType.Number;
    return numericChoices
      ? { type, name, description, required, choices: numericChoices }
      : { type, name, description, required, ...bounds };
  }
  if (prop.type === 'boolean') return { type: ApplicationCommandOptionType.Boolean, name, description, required };
  // Strings, and anything the schema can't express more precisely: the zod schema has the last word anyway.
  const type = ApplicationCommandOptionType.String;
  if (choices)
    return { type, name, description, required, choices: choices.map((v) => ({ name: String(v), value: String(v) })) };
  return {
    type,
    name,
    description,
    required,
    ...(prop.minLength !== undefined && prop.minLength > 0 ? { min_length: Math.min(prop.minLength, STRING_MAX) } : {}),
    ...(prop.maxLength !== undefined ? { max_length: Math.min(prop.maxLength, STRING_MAX) } : {}),
  };
}

/**
 * One command's zod schema → a slash-command definition: types, choices, min/max, max_length
 * and descriptions all come from the schema, so Discord's form and our parser can't drift.
 */
export function toSlashCommand(command: Command): RESTPostAPIChatInputApplicationCommandsJSONBody {
  const schema = JsonObjectSchema.parse(z.toJSONSchema(command.options, { io: 'input', unrepresentable: 'any' }));
  const options: APIApplicationCommandBasicOption[] = [];
  const suggested = suggestedOptions(command);
  for (const [name, prop] of Object.entries(schema.properties)) {
    if (command.formOnly?.includes(name)) continue;
    if (command.attachmentOptions?.includes(name)) {
      options.push(
        {
          type: ApplicationCommandOptionType.Attachment,
          name,
          description: `Upload the ${humanize(name).toLowerCase()} (PNG or JPEG)`,
          required: false,
        },
        optionOf(urlOptionName(name), prop, false),
      );
      continue;
    }
    options.push(optionOf(name, prop, schema.required.includes(name), suggested.includes(name)));
  }
  // Discord refuses a definition that lists an optional option before a required one.
  options.sort((a, b) => Number(b.required ?? false) - Number(a.required ?? false));
  return {
    type: ApplicationCommandType.ChatInput,
    name: command.name,
    description: describe(command.description, command.name),
    options,
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
  };
}

export const slashCommands = (list: readonly Command[] = allCommands) => list.map(toSlashCommand);

/**
 * Discord's typed option values → the command's input (commands/dispatch.ts `prepare`): values keyed by
 * the schema's names, and the uploaded files by option name (each file's link stands in its option).
 */
export function readOptions(
  command: Command,
  data: readonly CommandInteractionOption[],
): { options: Record<string, unknown>; attachments?: Record<string, Attachment> } {
  const raw: Record<string, unknown> = {};
  const files = command.attachmentOptions ?? [];
  const attachments: Record<string, Attachment> = {};
  for (const opt of data) {
    if (files.includes(opt.name) && opt.attachment) {
      const a = opt.attachment;
      attachments[opt.name] = {
        url: a.url,
        filename: a.name,
        size: a.size,
        ...(a.contentType ? { contentType: a.contentType } : {}),
        ...(a.width !== null && a.height !== null ? { width: a.width, height: a.height } : {}),
      };
      continue;
    }
    const linked = files.find((f) => opt.name === urlOptionName(f));
    if (linked) {
      raw[linked] = opt.value;
      continue;
    }
    if (opt.value !== undefined && opt.value !== null && opt.name in command.options.shape) raw[opt.name] = opt.value;
  }
  for (const [name, file] of Object.entries(attachments)) {
    if (raw[name] !== undefined)
      throw new ValidationError(name, `give either an uploaded image or ${urlOptionName(name)}, not both`);
    raw[name] = file.url;
  }
  return { options: raw, ...(Object.keys(attachments).length ? { attachments } : {}) };
}

/**
 * Registers every command: per guild when `guildIds` is set (instant), else globally (Discord
 * may take up to an hour to show changes). PUT replaces the whole list, so removed commands go too.
 * With `guildIds`, global commands left from an earlier registration are removed.
 */
export async function registerCommands(
  rest: REST,
  applicationId: string,
  guildIds: readonly string[],
  log?: Logger,
): Promise<Array<{ scope: string; count: number; removed?: number }>> {
  const body = slashCommands();
  const done: Array<{ scope: string; count: number; removed?: number }> = [];
  const scopes =
    guildIds.length > 0
      ? guildIds.map((id) => ({ scope: `guild ${id}`, route: Routes.applicationGuildCommands(applicationId, id) }))
      : [{ scope: 'global', route: Routes.applicationCommands(applicationId) }];
  for (const { scope, route } of scopes) {
    const answer = await rest.put(route, { body });
    const count = Array.isArray(answer) ? answer.length : body.length;
    log?.info({ scope, count }, 'discord commands registered');
    done.push({ scope, count });
  }
  if (guildIds.length > 0) {
    // Global commands left from an earlier global registration would still show in every server
    // the bot is in; with a list, only the listed servers get commands.
    const global = Routes.applicationCommands(applicationId);
    const stale = await rest.get(global);
    if (Array.isArray(stale) && stale.length > 0) {
      await rest.put(global, { body: [] });
      log?.info({ removed: stale.length }, 'stale global discord commands removed');
      done.push({ scope: 'global', count: 0, removed: stale.length });
    }
  }
  return done;
}
