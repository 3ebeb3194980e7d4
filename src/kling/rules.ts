import type { GenerationRequest } from '../domain.js';
import {
  DURATION_BOUNDS,
  durationAllowed,
  durationsText,
  primaryId,
  resolutionOfMode,
  type Resolution,
  type CapabilityKind,
  type CapabilityRow,
} from './capabilities.js';
import { highestPerSecond, knownElsewhere, modelsFor, modelTable, rowFor } from './model-table.js';

/**
 * The bot's checks of a request against the capability table, before anything is paid for. The
 * simulator does NOT use these: it has its own copy of Kling's documented rules, so a wrong row
 * here is caught by a test instead of agreed with.
 */

export type Standard = 'new' | 'legacy';

/** One request in the table's terms. */
export interface Ask {
  kind: CapabilityKind;
  model: string;
  /** Undefined: not given (the model's own default applies). */
  mode?: string;
  /** The output resolution where the mode cannot say it (4k); else the mode's. */
  resolution?: Resolution;
  duration?: string;
  aspectRatio?: string;
  cfgScale?: boolean;
  negativePrompt?: boolean;
  sound?: 'on' | 'off';
  endFrame?: boolean;
  n?: number;
  /** A video-extend of a video made by this model and kind. */
  extend?: boolean;
  /** The standard that would carry the task; the new one has no negative_prompt or cfg_scale. */
  standard?: Standard;
}

export type Rule =
  | 'model'
  | 'mode'
  | 'duration'
  | 'aspect_ratio'
  | 'cfg_scale'
  | 'negative_prompt'
  | 'sound'
  | 'end_frame'
  | 'n'
  | 'extend';

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
  omni: 'omni video',
  image: 'images (/image)',
};

/** The first rule `ask` breaks, or undefined. A model missing from the table breaks only the generic rules. */
export function violationOf(ask: Ask, table: readonly CapabilityRow[] = modelTable()): Violation | undefined {
  const row = rowFor(ask.model, ask.kind, table);
  const generic = genericViolation(ask);
  if (generic || !row) {
    if (!generic && knownElsewhere(ask.model, ask.kind, table))
      return {
        rule: 'model',
        field: 'model',
        message: `${ask.model} does not make ${KIND_WORDS[ask.kind]}; models that do: ${modelsFor(ask.kind, table).join(', ')}`,
      };
    return generic;
  }
  const v = (rule: Rule, field: string, message: string): Violation => ({
    rule,
    field,
    message: `${ask.model} ${message}`,
  });
  if (ask.extend && !row.extend)
    return v('extend', 'id', 'videos cannot be extended: Kling documents video-extend for v1.x models only');
  if (ask.kind === 'image') {
    if (ask.aspectRatio !== undefined && row.aspectRatios && !row.aspectRatios.includes(ask.aspectRatio))
      return v(
        'aspect_ratio',
        'aspect_ratio',
        `takes aspect ratios ${row.aspectRatios.join(', ')} (not ${ask.aspectRatio})`,
      );
    if (ask.n !== undefined && row.maxImages !== undefined && ask.n > row.maxImages)
      return v('n', 'n', `makes at most ${row.maxImages} images at once`);
    return undefined;
  }
  const resolution = resolutionOfMode(ask.mode);
  if (ask.mode !== undefined && (!row.modeChoice || !(row.resolutions as string[]).includes(resolution)))
    return v(
      'mode',
      'mode',
      row.modeChoice
        ? `runs at ${row.resolutions.join(' or ')} only (std = 720p, pro = 1080p)`
        : 'has no mode choice: leave mode out',
    );
  const seconds = ask.duration === undefined ? undefined : Number(ask.duration);
  if (seconds !== undefined && row.durations && !durationAllowed(row.durations, seconds))
    return v('duration', 'duration', `makes ${durationsText(row.durations)} videos (not ${ask.duration})`);
  const mode = ask.mode ?? (row.modeChoice ? undefined : 'std');
  const at = ask.resolution ?? resolutionOfMode(mode);
  if (ask.sound === 'on' && !row.audio.includes(at))
    return v(
      'sound',
      'sound',
      row.audio.length
        ? `has sound only at ${row.audio.join(' or ')} (mode pro = 1080p)`
        : 'makes silent videos only: sound on is not available',
    );
  if (ask.endFrame && !row.endFrame.includes(at))
    return v(
      'end_frame',
      'end_image',
      row.endFrame.length
        ? `takes an end frame only at ${row.endFrame.join(' or ')} (mode pro = 1080p)`
        : 'takes no end frame',
    );
  if (ask.aspectRatio !== undefined && row.aspectRatios && !row.aspectRatios.includes(ask.aspectRatio))
    return v(
      'aspect_ratio',
      'aspect_ratio',
      `takes aspect ratios ${row.aspectRatios.join(', ')} (not ${ask.aspectRatio})`,
    );
  if (ask.cfgScale && !row.cfgScale)
    return v('cfg_scale', 'cfg_scale', 'does not take cfg_scale (only v1.x models do); leave it out');
  return undefined;
}

/** What every model is held to, known or not; on the new standard also what its API has no field for. */
function genericViolation(ask: Ask): Violation | undefined {
  if (ask.standard === 'new') {
    const on = `${ask.model} runs on Kling's new API, which has no`;
    if (ask.negativePrompt)
      return { rule: 'negative_prompt', field: 'negative_prompt', message: `${on} negative_prompt: leave it out` };
    if (ask.cfgScale) return { rule: 'cfg_scale', field: 'cfg_scale', message: `${on} cfg_scale: leave it out` };
  }
  if (ask.kind === 'image')
    return ask.n !== undefined && ask.n > 9
      ? { rule: 'n', field: 'n', message: 'at most 9 images at once' }
      : undefined;
  if (ask.mode !== undefined && ask.mode !== 'std' && ask.mode !== 'pro')
    return { rule: 'mode', field: 'mode', message: 'must be std or pro' };
  const seconds = ask.duration === undefined ? undefined : Number(ask.duration);
  if (
    seconds !== undefined &&
    !(Number.isInteger(seconds) && seconds >= DURATION_BOUNDS.min && seconds <= DURATION_BOUNDS.max)
  )
    return {
      rule: 'duration',
      field: 'duration',
      message: `must be a whole number of seconds from ${DURATION_BOUNDS.min} to ${DURATION_BOUNDS.max}`,
    };
  return undefined;
}

/** The mode a model runs in when none is given. */
export function defaultMode(model: string, kind: CapabilityKind, table = modelTable()): 'std' | 'pro' {
  const row = rowFor(model, kind, table);
  return row && !row.resolutions.includes('720p') && row.resolutions.includes('1080p') ? 'pro' : 'std';
}

/** The duration a model makes when none is given: 5 s where it can, else its shortest. */
export function defaultDuration(model: string, kind: CapabilityKind, table = modelTable()): string {
  const d = rowFor(model, kind, table)?.durations;
  if (!d || durationAllowed(d, 5)) return '5';
  return String('oneOf' in d ? d.oneOf[0] : d.min);
}

/** Whether legacy `mode` is sent (models without a mode choice get none). */
export function sendsMode(model: string, kind: CapabilityKind, table = modelTable()): boolean {
  return rowFor(model, kind, table)?.modeChoice ?? true;
}

/**
 * Whether `sound`/`audio` may be sent: the table's model at one of its audio resolutions, or any model it does not
 * know.
 */
export function sendsSound(model: string, kind: CapabilityKind, mode: string, table = modelTable()): boolean {
  const row = rowFor(model, kind, table);
  return row ? row.audio.includes(resolutionOfMode(mode)) : true;
}

/** Whether legacy cfg_scale is sent. Unknown models: not to v2 and later. */
export function sendsCfgScale(model: string, kind: CapabilityKind, table = modelTable()): boolean {
  const row = rowFor(model, kind, table);
  return row ? row.cfgScale : /^kling-v1(-|$)/.test(model);
}

/** The id each standard knows the model by; a model the table does not know goes as given. */
export function modelIdFor(model: string, kind: CapabilityKind, standard: Standard, table = modelTable()): string {
  const row = rowFor(model, kind, table);
  return (standard === 'new' ? row?.id : row?.legacy) ?? (row ? primaryId(row) : model);
}

/** What the table expects a task to cost, or undefined when it cannot say. */
export function expectedUnits(
  ask: Pick<Ask, 'kind' | 'model' | 'mode' | 'resolution' | 'duration' | 'sound' | 'n'>,
  table: readonly CapabilityRow[] = modelTable(),
): number | undefined {
  const row = rowFor(ask.model, ask.kind, table);
  if (!row?.units) return undefined;
  if (ask.kind === 'image')
    return row.units.perImage !== undefined ? round(row.units.perImage * (ask.n ?? 1)) : undefined;
  const at = ask.resolution ?? resolutionOfMode(ask.mode);
  const rate =
    ask.sound === 'on' ? (row.units.audioPerSecond?.[at] ?? row.units.perSecond?.[at]) : row.units.perSecond?.[at];
  if (rate === undefined) return undefined;
  return round(rate * Number(ask.duration ?? '5'));
}

const round = (n: number) => Math.round(n * 100) / 100;

/** What the table expects one of our requests to cost; an extension is priced as 5 s of its source model and mode. */
export function expectedUnitsOf(
  req: GenerationRequest,
  table: readonly CapabilityRow[] = modelTable(),
): number | undefined {
  switch (req.kind) {
    case 'image':
      return expectedUnits({ kind: 'image', model: req.model, n: req.n }, table);
    case 'extend':
      return expectedUnits({ kind: req.sourceKind, model: req.model, mode: req.mode, duration: '5' }, table);
    case 'omni':
    case 'storyboard':
      return expectedUnits(omniAsk(req, table), table);
    default:
      return expectedUnits(
        {
          kind: req.kind,
          model: req.model,
          mode: req.mode,
          ...(req.resolution ? { resolution: req.resolution } : {}),
          duration: req.duration,
          ...(req.sound ? { sound: req.sound } : {}),
        },
        table,
      );
  }
}

/** The dearest price in the table for `kind`: units per second of video (sound and 4K included), or per image. */
export function highestRate(kind: CapabilityKind, table: readonly CapabilityRow[] = modelTable()): number {
  if (kind !== 'image') return highestPerSecond(kind, table);
  return Math.max(0, ...table.filter((r) => r.kind === 'image').map((r) => r.units?.perImage ?? 0));
}

/**
 * What a task counts against a budget, in the table's units: its expected units, or, for a model
 * (or combination) the table cannot price, the table's highest rate for the kind. Naming a model
 * the table does not know never makes a task cheaper.
 */
export function worstCaseUnitsOf(req: GenerationRequest, table: readonly CapabilityRow[] = modelTable()): number {
  const expected = expectedUnitsOf(req, table);
  if (expected !== undefined) return expected;
  if (req.kind === 'image') return round(highestRate('image', table) * req.n);
  if (req.kind === 'omni' || req.kind === 'storyboard') {
    const ask = omniAsk(req, table);
    return round(highestRate(ask.kind, table) * Number(ask.duration));
  }
  const kind = req.kind === 'extend' ? req.sourceKind : req.kind;
  const seconds = req.kind === 'extend' ? 5 : Number(req.duration);
  return round(highestRate(kind, table) * seconds);
}

/** The table's kind for a storyboard of `model`: text-to-video, or omni for an omni model. */
export const storyboardKind = (model: string, table: readonly CapabilityRow[] = modelTable()): CapabilityKind =>
  !rowFor(model, 'text2video', table) && rowFor(model, 'omni', table) ? 'omni' : 'text2video';

/**
 * An omni task or storyboard in the table's terms: its model and kind, its length (an edit keeps
 * its source's, rounded up), and its resolution (4K at its own rate). A storyboard is priced by
 * its model's text-to-video row, or its omni row for an omni model.
 */
function omniAsk(req: Extract<GenerationRequest, { kind: 'omni' | 'storyboard' }>, table: readonly CapabilityRow[]) {
  const seconds =
    req.kind === 'storyboard'
      ? req.shots.reduce((sum, s) => sum + s.seconds, 0)
      : Number(req.duration ?? Math.ceil(req.edit?.seconds ?? 5));
  return {
    kind: req.kind === 'storyboard' ? storyboardKind(req.model, table) : ('omni' as CapabilityKind),
    model: req.model,
    mode: req.resolution === '720p' ? 'std' : 'pro',
    resolution: req.resolution,
    duration: String(seconds),
    ...(req.sound ? { sound: req.sound } : {}),
  };
}
