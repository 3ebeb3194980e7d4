import type { GenerationRequest } from '../domain.js';
import {
  CAPABILITIES,
  durationAllowed,
  durationsText,
  GENERIC,
  knownElsewhere,
  modelsFor,
  rowFor,
  type CapabilityKind,
  type CapabilityRow,
} from './capabilities.js';

/**
 * The combination rules of the capability table, in one function shared by the bot (before
 * anything is paid for) and the simulator (which refuses the same things Kling does).
 */

/** One request in the table's terms, whichever side built it. */
export interface Ask {
  kind: CapabilityKind;
  model: string;
  /** Undefined: not given (the model's own default applies). */
  mode?: string;
  duration?: string;
  aspectRatio?: string;
  cfgScale?: boolean;
  sound?: 'on' | 'off';
  endFrame?: boolean;
  n?: number;
  /** A video-extend of a video made by this model and kind. */
  extend?: boolean;
}

export type Rule =
  'model' | 'mode' | 'duration' | 'aspect_ratio' | 'cfg_scale' | 'sound' | 'end_frame' | 'n' | 'extend';

/** A refused combination: which option, and a sentence naming the model and the rule. */
export interface Violation {
  rule: Rule;
  /** The user-facing option the rule is about. */
  field: string;
  message: string;
}

const KIND_WORDS: Record<CapabilityKind, string> = {
  text2video: 'text-to-video (/video)',
  image2video: 'image-to-video (/animate)',
  image: 'images (/image)',
};

/** The first rule `ask` breaks, or undefined. A model missing from the table breaks none of the model-specific rules. */
export function violationOf(ask: Ask, table: readonly CapabilityRow[] = CAPABILITIES): Violation | undefined {
  const row = rowFor(ask.model, ask.kind, table);
  if (!row) {
    if (knownElsewhere(ask.model, ask.kind, table)) {
      return {
        rule: 'model',
        field: 'model',
        message: `${ask.model} does not make ${KIND_WORDS[ask.kind]}; models that do: ${modelsFor(ask.kind, table).join(', ')}`,
      };
    }
    return genericViolation(ask);
  }
  const v = (rule: Rule, field: string, message: string): Violation => ({
    rule,
    field,
    message: `${row.model} ${message}`,
  });
  const modes = row.modes ?? [];
  if (ask.extend && !row.extend) return v('extend', 'id', 'videos cannot be extended');
  if (ask.kind !== 'image') {
    if (ask.mode !== undefined && !modes.includes(ask.mode as 'std')) {
      return v(
        'mode',
        'mode',
        row.modeChoice ? `runs in ${modes.join(' or ')} mode only` : 'has no mode choice: leave mode out',
      );
    }
    const mode = ask.mode ?? modes[0] ?? 'std';
    if (ask.duration !== undefined && row.durations && !durationAllowed(row.durations, ask.duration)) {
      return v('duration', 'duration', `makes ${durationsText(row.durations)} videos (not ${ask.duration})`);
    }
    if (ask.sound === 'on' && !row.soundModes.includes(mode as 'std')) {
      return v(
        'sound',
        'sound',
        row.soundModes.length
          ? `has sound only in ${row.soundModes.join(' or ')} mode`
          : 'makes silent videos only: sound on is not available',
      );
    }
    if (ask.endFrame && !row.endFrameModes.includes(mode as 'std')) {
      return v(
        'end_frame',
        'end_image',
        row.endFrameModes.length
          ? `takes an end frame only in ${row.endFrameModes.join(' or ')} mode`
          : 'takes no end frame',
      );
    }
    if (ask.cfgScale && !row.cfgScale)
      return v(
        'cfg_scale',
        'cfg_scale',
        'does not accept cfg_scale (v2 and later models ignore it at Kling); leave it out',
      );
  }
  if (ask.aspectRatio !== undefined && row.aspectRatios && !row.aspectRatios.includes(ask.aspectRatio)) {
    return v(
      'aspect_ratio',
      'aspect_ratio',
      `takes aspect ratios ${row.aspectRatios.join(', ')} (not ${ask.aspectRatio})`,
    );
  }
  if (ask.n !== undefined && row.maxImages !== undefined && ask.n > row.maxImages)
    return v('n', 'n', `makes at most ${row.maxImages} images at once`);
  return undefined;
}

/** The per-field rules every model gets (what the option schemas already hold); the table adds nothing. */
function genericViolation(ask: Ask): Violation | undefined {
  if (ask.kind === 'image')
    return ask.n !== undefined && ask.n > GENERIC.maxImages
      ? { rule: 'n', field: 'n', message: `at most ${GENERIC.maxImages} images at once` }
      : undefined;
  if (ask.mode !== undefined && !GENERIC.modes.includes(ask.mode as 'std'))
    return { rule: 'mode', field: 'mode', message: 'must be std or pro' };
  if (ask.duration !== undefined && !durationAllowed(GENERIC.durations, ask.duration))
    return { rule: 'duration', field: 'duration', message: `must be ${durationsText(GENERIC.durations)}` };
  return undefined;
}

/** The mode a model runs in when none is given. */
export function defaultMode(
  model: string,
  kind: CapabilityKind,
  table: readonly CapabilityRow[] = CAPABILITIES,
): 'std' | 'pro' {
  return rowFor(model, kind, table)?.modes?.[0] ?? 'std';
}

/** Whether `mode` is sent at all (models without a mode choice get none). */
export function sendsMode(
  model: string,
  kind: CapabilityKind,
  table: readonly CapabilityRow[] = CAPABILITIES,
): boolean {
  return rowFor(model, kind, table)?.modeChoice ?? true;
}

/** Whether `sound` may be sent: the table's model in one of its sound modes, or any model the table does not know. */
export function sendsSound(
  model: string,
  kind: CapabilityKind,
  mode: string,
  table: readonly CapabilityRow[] = CAPABILITIES,
): boolean {
  const row = rowFor(model, kind, table);
  return row ? row.soundModes.includes(mode as 'std') : true;
}

/** Whether cfg_scale is sent. Unknown models follow SPEC §1 (not to v2 and later). */
export function sendsCfgScale(
  model: string,
  kind: CapabilityKind,
  table: readonly CapabilityRow[] = CAPABILITIES,
): boolean {
  const row = rowFor(model, kind, table);
  return row ? row.cfgScale : !/^kling-v([2-9]|\d{2})/.test(model);
}

/** What the table expects a task to cost, or undefined when it cannot say (a model it does not know). */
export function expectedUnits(
  ask: Pick<Ask, 'kind' | 'model' | 'mode' | 'duration' | 'sound' | 'n'>,
  table: readonly CapabilityRow[] = CAPABILITIES,
): number | undefined {
  const row = rowFor(ask.model, ask.kind, table);
  if (!row) return undefined;
  if (ask.kind === 'image')
    return row.units.perImage !== undefined ? round(row.units.perImage * (ask.n ?? 1)) : undefined;
  const mode = (ask.mode ?? row.modes?.[0] ?? 'std') as 'std' | 'pro';
  const per5s = row.units.per5s?.[mode];
  if (per5s === undefined) return undefined;
  const seconds = Number(ask.duration ?? '5');
  const sound = ask.sound === 'on' ? (row.units.soundFactor ?? 1) : 1;
  return round((per5s * seconds * sound) / 5);
}

const round = (n: number) => Math.round(n * 100) / 100;

/** What the table expects one of our requests to cost; an extension is priced as 5 s of its source model and mode (assumption). */
export function expectedUnitsOf(
  req: GenerationRequest,
  table: readonly CapabilityRow[] = CAPABILITIES,
): number | undefined {
  switch (req.kind) {
    case 'image':
      return expectedUnits({ kind: 'image', model: req.model, n: req.n }, table);
    case 'extend':
      return expectedUnits({ kind: req.sourceKind, model: req.model, mode: req.mode, duration: '5' }, table);
    default:
      return expectedUnits(
        {
          kind: req.kind,
          model: req.model,
          mode: req.mode,
          duration: req.duration,
          ...(req.sound ? { sound: req.sound } : {}),
        },
        table,
      );
  }
}

/** The dearest price in the table for `kind`: units per second of video (sound included), or per image. */
export function highestRate(kind: CapabilityKind, table: readonly CapabilityRow[] = CAPABILITIES): number {
  let highest = 0;
  for (const row of table) {
    if (row.kind !== kind) continue;
    if (kind === 'image') highest = Math.max(highest, row.units.perImage ?? 0);
    for (const [mode, per5s] of Object.entries(row.units.per5s ?? {})) {
      const sound = row.soundModes.includes(mode as 'std') ? (row.units.soundFactor ?? 1) : 1;
      highest = Math.max(highest, ((per5s ?? 0) * sound) / 5);
    }
  }
  return highest;
}

/**
 * What a task counts against a budget, in the table's units: its expected units, or, for a model
 * (or combination) the table cannot price, the table's highest rate for the kind. Naming a model
 * the table does not know never makes a task cheaper.
 */
export function worstCaseUnitsOf(req: GenerationRequest, table: readonly CapabilityRow[] = CAPABILITIES): number {
  const expected = expectedUnitsOf(req, table);
  if (expected !== undefined) return expected;
  if (req.kind === 'image') return round(highestRate('image', table) * req.n);
  const kind = req.kind === 'extend' ? req.sourceKind : req.kind;
  const seconds = req.kind === 'extend' ? 5 : Number(req.duration);
  return round(highestRate(kind, table) * seconds);
}
