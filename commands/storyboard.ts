import { z } from 'zod';
import { ValidationError } from '../src/errors.js';
import type { CapabilityRow } from '../src/kling/capabilities.js';
import { storyboardModal, SHOTS_MAX } from '../src/modals.js';
import type { StoryboardRequest } from '../src/omni/request.js';
import { resolutionOption, resolutionsOn, resolveQuality, type Resolution } from '../src/omni/resolution.js';
import { parseStoryboard, storyboardViolation } from '../src/omni/storyboard.js';
import {
  defaultStoryboardModel,
  legacyCarrier,
  multiShotLimits,
  multiShotModels,
  storyboardRow,
} from '../src/omni/storyboard-model.js';
import type { Violation } from '../src/omni/violation.js';
import { groupedNumber } from '../src/render/format.js';
import { checkAsk, type ModelDefaults } from './generation.js';
import { model, sound, videoAspect } from './options.js';
import { defineCommand } from './types.js';

/**
 * `/storyboard`: one video told in 1–6 shots, each with its own length and prompt (issue 20).
 * Slack writes the shots in the command, `3: a cat jumps | 4: it lands softly --model kling-v3`;
 * Discord's command takes the options and answers with a form asking for the shots, one a line,
 * whose submission comes back here through src/modals.ts. Sent in Kling's multi-shot form for the
 * standard that carries it (src/omni/bodies.ts).
 */

const USAGE = 'write one shot a line, or split them with |, as `seconds: what happens` (`3: a cat jumps`)';

export interface StoryboardArgs {
  shots?: string | undefined;
  model?: string | undefined;
  resolution?: Resolution | undefined;
  aspect_ratio?: string | undefined;
  sound?: 'on' | 'off' | undefined;
}

function refuse(v: Violation): never {
  throw new ValidationError(v.field, v.message);
}

/** Everything but the shots: the model, the omni model carrying it on the legacy standard, resolution, ratio, sound. */
function storyboardSetup(args: StoryboardArgs, defaults: ModelDefaults) {
  const others = multiShotModels().join(', ') || 'none in this bot’s model table';
  const chosen = args.model ?? defaultStoryboardModel(defaults.videoModel, defaults.omniModel);
  if (chosen === undefined) throw new ValidationError('model', `no model here makes multi-shot videos`);
  const row = storyboardRow(chosen);
  if (!row?.multiShot)
    throw new ValidationError('model', `${chosen} does not make multi-shot videos; models that do: ${others}`);
  const standard = defaults.standardFor?.(chosen, 'storyboard') ?? 'legacy';
  const carrier = legacyCarrier(chosen, defaults.omniModel);
  if (standard === 'legacy' && carrier === undefined)
    throw new ValidationError('model', `no omni model here carries multi-shot videos through Kling's legacy API`);
  const quality = resolveQuality({
    model: chosen,
    resolution: args.resolution,
    resolutions: resolutionsOn(row, standard),
    standard,
  });
  if (!quality.ok) refuse(quality.violation);
  const aspect = args.aspect_ratio ?? '16:9';
  checkAsk({
    kind: row.kind,
    model: chosen,
    ...(quality.mode ? { mode: quality.mode } : {}),
    ...(args.sound !== undefined ? { sound: args.sound } : {}),
    aspectRatio: aspect,
  });
  // A model without sound takes no field for it: "off" is all it makes anyway.
  const silent = args.sound === 'off' && row.audio.length === 0;
  return {
    row,
    carrierRow: standard === 'legacy' ? storyboardRow(carrier ?? chosen) : undefined,
    request: {
      kind: 'storyboard' as const,
      model: chosen,
      legacyModel: carrier ?? chosen,
      resolution: quality.resolution,
      aspect_ratio: aspect,
      ...(args.sound !== undefined && !silent ? { sound: args.sound } : {}),
    },
  };
}

/** The durations both the model and, on the legacy standard, the omni model carrying it allow. */
function limitsOf(row: CapabilityRow, carrier: CapabilityRow | undefined) {
  const own = multiShotLimits(row);
  if (!carrier || carrier === row) return own;
  const theirs = multiShotLimits(carrier);
  return {
    multiShot: own.multiShot && theirs.multiShot,
    minSeconds: Math.max(own.minSeconds, theirs.minSeconds),
    maxSeconds: Math.min(own.maxSeconds, theirs.maxSeconds),
  };
}

/** The recorded request, or a ValidationError naming the option or the shot and the rule it breaks. */
export function storyboardRequest(args: StoryboardArgs, defaults: ModelDefaults): StoryboardRequest {
  const setup = storyboardSetup(args, defaults);
  const parsed = parseStoryboard(args.shots ?? '');
  if (!parsed.ok) refuse(parsed.violation);
  const violation = storyboardViolation(parsed.value, setup.request.model, limitsOf(setup.row, setup.carrierRow));
  if (violation) refuse(violation);
  return { ...setup.request, shots: parsed.value };
}

export default defineCommand({
  name: 'storyboard',
  description: 'A video in 1-6 shots, each with its own length: 3: a cat jumps | 4: it lands softly',
  visibility: 'card',
  modelKind: 'text2video',
  multiShotOnly: true,
  freeText: 'shots',
  formOnly: ['shots'],
  options: z.object({
    shots: z
      .string({ error: 'must be text' })
      .trim()
      .max(SHOTS_MAX, `must be at most ${groupedNumber(SHOTS_MAX)} characters`)
      .optional()
      .describe(`The shots: ${USAGE}`),
    model,
    resolution: resolutionOption,
    aspect_ratio: videoAspect,
    sound,
  }),
  // Without shots (Discord's slash form) the options are checked before the form opens, so nobody
  // writes shots for a model that cannot take them; with them, the request.
  prepare(args, { defaults }) {
    if (args.shots !== undefined) return { submit: storyboardRequest(args, defaults) };
    storyboardSetup(args, defaults);
    const { model: m, resolution, aspect_ratio, sound: s } = args;
    return {
      form: storyboardModal({ model: m, resolution, aspect_ratio, sound: s }),
      withoutForm: new ValidationError('shots', `are missing: ${USAGE}`),
    };
  },
});
