import {
  allDurations,
  CAPABILITIES,
  durationAllowed,
  GENERIC,
  modelSummary,
  rowFor,
} from '../src/kling/capabilities.js';
import type { ModelDefaults } from './generation.js';
import type { Command } from './types.js';

/**
 * Suggestions while a user types an option (Discord autocomplete), from the capability table:
 * `model` lists the models of the command's kind, `duration` the lengths the chosen model makes.
 * Pure and in memory: Discord gives an autocomplete answer 3 seconds.
 */

export interface Suggestion {
  name: string;
  value: string;
}

/** Discord's bounds for an autocomplete answer. */
const MAX_CHOICES = 25;
const NAME_MAX = 100;

/** The options of `command` that are answered by suggestions instead of fixed choices. */
export function suggestedOptions(command: Pick<Command, 'modelKind' | 'options'>): string[] {
  if (!command.modelKind) return [];
  return ['model', 'duration'].filter((name) => name in command.options.shape);
}

const clipName = (text: string) => (text.length <= NAME_MAX ? text : `${text.slice(0, NAME_MAX - 1)}…`);

export function suggest(
  command: Pick<Command, 'modelKind' | 'options'>,
  option: string,
  typed: string,
  others: Readonly<Record<string, unknown>>,
  defaults: ModelDefaults,
): Suggestion[] {
  const kind = command.modelKind;
  if (!kind || !suggestedOptions(command).includes(option)) return [];
  const needle = typed.trim().toLowerCase();
  if (option === 'model') {
    const fallback = kind === 'image' ? defaults.imageModel : defaults.videoModel;
    const rows = CAPABILITIES.filter((r) => r.kind === kind && r.model.includes(needle));
    // Newest first, the default at the top: what most people pick.
    const ordered = [...rows].reverse().sort((a, b) => Number(b.model === fallback) - Number(a.model === fallback));
    const list = ordered.map((r) => ({
      name: clipName(`${r.model}${r.model === fallback ? ' (default)' : ''} · ${modelSummary(r)}`),
      value: r.model,
    }));
    // A name the table does not know is still offered: Kling may have a model newer than the bot.
    if (/^kling-[a-z0-9][a-z0-9-]*$/.test(needle) && needle.length <= 40 && !rows.some((r) => r.model === needle)) {
      list.unshift({ name: clipName(`${needle} · not in the bot's table: sent to Kling as given`), value: needle });
    }
    return list.slice(0, MAX_CHOICES);
  }
  // duration: what the model chosen so far (or the default) makes.
  const model =
    typeof others['model'] === 'string' && others['model'].trim()
      ? others['model'].trim().toLowerCase()
      : kind === 'image'
        ? defaults.imageModel
        : defaults.videoModel;
  const durations = rowFor(model, kind)?.durations ?? GENERIC.durations;
  return allDurations()
    .filter((d) => durationAllowed(durations, d) && d.startsWith(needle.replace(/\s*s$/, '')))
    .map((d) => ({ name: `${d} seconds (${model})`, value: d }))
    .slice(0, MAX_CHOICES);
}
