import { z } from 'zod';
import { Resolution, type CapabilityRow } from '../kling/capabilities.js';
import type { Violation } from './violation.js';

/**
 * Output resolution (docs/sources.md, "Omni": the new standard takes `settings.resolution`
 * 720p | 1080p | 4k per model; the legacy one takes `mode` std = 720p, pro = 1080p, and has no 4K).
 */

export { Resolution };
export type Mode = 'std' | 'pro';

/** People write 720, 1080P, 4K, 2160p, uhd: one spelling each. */
export const resolutionOption = z
  .preprocess(
    (v) => {
      if (typeof v !== 'string') return v;
      const s = v.trim().toLowerCase();
      if (s === '720') return '720p';
      if (s === '1080') return '1080p';
      if (s === '2160p' || s === '2160' || s === 'uhd') return '4k';
      return s;
    },
    z.enum(Resolution.options, { error: 'must be 720p, 1080p or 4k' }),
  )
  .optional()
  .describe('720p, 1080p or 4k (which ones depends on the model)');

/** The legacy standard's mode for each resolution it has; 4K has none. */
export const LEGACY_MODE: Partial<Record<Resolution, Mode>> = { '720p': 'std', '1080p': 'pro' };
const RESOLUTION_OF_MODE: Record<Mode, Resolution> = { std: '720p', pro: '1080p' };

export type ResolutionRule = 'mode_and_resolution' | 'resolution';

export interface QualityAsk {
  model: string;
  mode?: Mode | undefined;
  resolution?: Resolution | undefined;
  /** The resolutions the model makes on the standard that will carry the task. */
  resolutions: readonly Resolution[];
  standard: 'new' | 'legacy';
}

export type Quality =
  { ok: true; resolution: Resolution; mode: Mode | undefined } | { ok: false; violation: Violation<ResolutionRule> };

/**
 * The resolution a task is made at and, where the legacy standard needs one, its mode. A mode
 * alone picks its resolution; a resolution alone picks its mode; both must say the same. Nothing
 * given: the model's lowest resolution. `mode` is the legacy standard's name for the result (none for 4k).
 */
export function resolveQuality(ask: QualityAsk): Quality {
  const { model, mode, resolution } = ask;
  if (mode !== undefined && resolution !== undefined && RESOLUTION_OF_MODE[mode] !== resolution)
    return {
      ok: false,
      violation: {
        rule: 'mode_and_resolution',
        field: 'resolution',
        message: `mode ${mode} and resolution ${resolution} disagree: ${mode} is ${RESOLUTION_OF_MODE[mode]} (std is 720p, pro is 1080p); give one of them`,
      },
    };
  const chosen = resolution ?? (mode !== undefined ? RESOLUTION_OF_MODE[mode] : ask.resolutions[0]);
  if (chosen === undefined || !ask.resolutions.includes(chosen)) {
    const legacy4k = ask.standard === 'legacy' && chosen === '4k';
    const field = resolution !== undefined ? 'resolution' : 'mode';
    return {
      ok: false,
      violation: {
        rule: 'resolution',
        field,
        message: legacy4k
          ? `${model} is sent through Kling's legacy API here, which has no 4k: choose 720p or 1080p`
          : `${model} makes ${ask.resolutions.join(', ') || 'no choice of resolution'} (not ${chosen ?? '?'})`,
      },
    };
  }
  return { ok: true, resolution: chosen, mode: LEGACY_MODE[chosen] };
}

/**
 * The resolutions a model makes on a standard: its row's, 4k on the new standard only; a model
 * the table does not know, any the standard has (Kling has the last word).
 */
export function resolutionsOn(row: Pick<CapabilityRow, 'resolutions'> | undefined, standard: 'new' | 'legacy') {
  return (row?.resolutions ?? Resolution.options).filter(
    (r): r is Resolution => r === '720p' || r === '1080p' || (r === '4k' && standard === 'new'),
  );
}
