import {
  DURATION_BOUNDS,
  durationValues,
  MODEL_ID,
  MODEL_ID_MAX,
  modelSummary,
  primaryId,
  rowMatches,
  type CapabilityKind,
  type CapabilityRow,
} from '../src/kling/capabilities.js';
import { defaultStoryboardModel } from '../src/omni/storyboard-model.js';
import { modelTable, rowFor } from '../src/kling/model-table.js';
import type { ModelDefaults } from './generation.js';
import type { Command } from './types.js';

/**
 * Suggestions while a user types an option (Discord autocomplete), from the capability table in
 * use (built-in rows and the operator's file, read at start): `model` lists the models of the
 * command's kind, `duration` the lengths the chosen model makes, `aspect_ratio` its ratios. Pure
 * and in memory: Discord gives an autocomplete answer 3 seconds.
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
  return ['model', 'duration', 'aspect_ratio'].filter((name) => name in command.options.shape);
}

const clipName = (text: string) => (text.length <= NAME_MAX ? text : `${text.slice(0, NAME_MAX - 1)}…`);

function chosenModel(kind: CapabilityKind, others: Readonly<Record<string, unknown>>, defaults: ModelDefaults): string {
  const typed = others['model'];
  if (typeof typed === 'string' && typed.trim()) return typed.trim().toLowerCase();
  return kind === 'image' ? defaults.imageModel : defaults.videoModel;
}

export function suggest(
  command: Pick<Command, 'modelKind' | 'options' | 'multiShotOnly'>,
  option: string,
  typed: string,
  others: Readonly<Record<string, unknown>>,
  defaults: ModelDefaults,
  /** Whether this user may use a model (ALLOWED_MODELS; admins may use all): only those are offered. */
  mayUse: (model: string) => boolean,
): Suggestion[] {
  const kind = command.modelKind;
  if (!kind || !suggestedOptions(command).includes(option)) return [];
  const needle = typed.trim().toLowerCase();
  if (option === 'model') return modelSuggestions(kind, needle, defaults, command.multiShotOnly === true, mayUse);
  const model = chosenModel(kind, others, defaults);
  const row = rowFor(model, kind);
  if (option === 'aspect_ratio') {
    const ratios = row?.aspectRatios ?? [
      ...new Set(modelTable().flatMap((r) => (r.kind === kind ? (r.aspectRatios ?? []) : []))),
    ];
    const list = ratios.filter((r) => r.startsWith(needle)).map((r) => ({ name: `${r} (${model})`, value: r }));
    // Any W:H is accepted: what the user typed is offered too.
    if (/^\d{1,3}:\d{1,3}$/.test(needle) && !ratios.includes(needle)) list.unshift({ name: needle, value: needle });
    return list.slice(0, MAX_CHOICES);
  }
  // duration: what the model chosen so far (or the default) makes; a model the table does not know, the sanity bounds.
  const values = row?.durations ? durationValues(row.durations) : durationValues(DURATION_BOUNDS);
  return values
    .map(String)
    .filter((d) => d.startsWith(needle.replace(/\s*s$/, '')))
    .map((d) => ({ name: `${d} seconds (${row?.name ?? model})`, value: d }))
    .slice(0, MAX_CHOICES);
}

function modelSuggestions(
  kind: CapabilityKind,
  needle: string,
  defaults: ModelDefaults,
  multiShot: boolean,
  mayUse: (model: string) => boolean,
): Suggestion[] {
  const fallback = multiShot
    ? (defaultStoryboardModel(defaults.videoModel, defaults.omniModel) ?? '')
    : kind === 'image'
      ? defaults.imageModel
      : defaults.videoModel;
  const fits = (r: CapabilityRow) =>
    multiShot ? r.multiShot && (r.kind === 'text2video' || r.kind === 'omni') : r.kind === kind;
  const rows = modelTable().filter(
    (r) =>
      fits(r) &&
      mayUse(primaryId(r)) &&
      [r.id, r.legacy, r.name.toLowerCase()].some((m) => m !== undefined && m.includes(needle)),
  );
  // Newest first, the default at the top: what most people pick.
  const ordered = [...rows].reverse().sort((a, b) => Number(rowMatches(b, fallback)) - Number(rowMatches(a, fallback)));
  const list = ordered.map((r) => ({
    name: clipName(`${primaryId(r)}${rowMatches(r, fallback) ? ' (default)' : ''} · ${modelSummary(r)}`),
    value: primaryId(r),
  }));
  // A name the table does not know is still offered: Kling may have a model newer than the bot.
  if (
    MODEL_ID.test(needle) &&
    needle.length <= MODEL_ID_MAX &&
    mayUse(needle) &&
    !rows.some((r) => rowMatches(r, needle))
  ) {
    list.unshift({ name: clipName(`${needle} · not in the bot's table: sent to Kling as given`), value: needle });
  }
  return list.slice(0, MAX_CHOICES);
}
