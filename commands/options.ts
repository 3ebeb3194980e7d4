import { z } from 'zod';
import { Mode, TaskState } from '../src/domain.js';
import { ASPECT_RATIO, DURATION_BOUNDS, MODEL_ID, MODEL_ID_MAX } from '../src/kling/capabilities.js';
import { groupedNumber } from '../src/render/format.js';

/** Option pieces shared by the commands, each with the message a user sees when it is wrong. */

export const PROMPT_MAX = 2500;

const text = (max: number, what: string) =>
  z
    .string({ error: `must be text` })
    .trim()
    .max(max, {
      error: (issue) =>
        `must be at most ${groupedNumber(max)} characters (this one has ${typeof issue.input === 'string' ? groupedNumber(issue.input.length) : '?'})`,
    })
    .describe(what);

export const prompt = text(PROMPT_MAX, 'What to generate').min(1, 'is required: describe what to generate');
export const optionalPrompt = text(PROMPT_MAX, 'What should happen in the video').optional();
export const negativePrompt = text(PROMPT_MAX, 'What to avoid').optional();

export const model = z
  .string()
  .trim()
  .toLowerCase()
  .max(MODEL_ID_MAX, 'must be a Kling model id such as kling-3.0-turbo or kling-v2-6')
  .regex(MODEL_ID, 'must be a Kling model id such as kling-3.0-turbo or kling-v2-6')
  .optional()
  .describe('Kling model (suggestions list the ones this command takes; default set by the admin)');

/** Users type "standard" and "professional"; the API only knows std and pro. */
export const mode = z
  .preprocess(
    (v) =>
      typeof v === 'string'
        ? ({ standard: 'std', professional: 'pro' }[v.trim().toLowerCase()] ?? v.trim().toLowerCase())
        : v,
    z.enum(Mode.options, { error: 'must be std or pro' }),
  )
  .optional()
  .describe('std (faster, cheaper) or pro (higher quality)');

const { min: MIN_S, max: MAX_S } = DURATION_BOUNDS;
const durationError = `must be a whole number of seconds from ${MIN_S} to ${MAX_S}`;

/**
 * Only sanity bounds: which lengths a model makes is its row's (or, for a model the table does not know, Kling's) call.
 */
export const duration = z
  .preprocess(
    (v) =>
      typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim().replace(/\s*s(ec(ond)?s?)?$/i, '') : v,
    z
      .string()
      .regex(/^\d{1,2}$/, durationError)
      .refine((v) => Number(v) >= MIN_S && Number(v) <= MAX_S, durationError)
      .transform((v) => String(Number(v))),
  )
  .optional()
  .describe('Length in seconds (which lengths depends on the model)');

const aspect = (examples: string) =>
  z
    .string()
    .trim()
    .regex(ASPECT_RATIO, `must be a width:height ratio such as ${examples}`)
    .optional()
    .describe('Aspect ratio, width:height');
export const videoAspect = aspect('16:9, 9:16 or 1:1');
export const imageAspect = aspect('16:9, 1:1 or 21:9');

export const cfgScale = z.coerce
  .number({ error: 'must be a number from 0 to 1' })
  .min(0, 'must be a number from 0 to 1')
  .max(1, 'must be a number from 0 to 1')
  .optional()
  .describe('Prompt adherence 0..1 (kling-v1 family only)');

export const imageUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) link to a PNG or JPEG image' })
  .max(2000, 'must be a link of at most 2000 characters')
  .describe('Image link (PNG or JPEG)');

export const endImageUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) link to a PNG or JPEG image' })
  .max(2000, 'must be a link of at most 2000 characters')
  .optional()
  .describe('End frame: the image the video ends on (PNG or JPEG)');

/** /video's reference images: a link, or (Discord) an upload; the prompt names the n-th `@image_n`. */
export const referenceImageUrl = (n: number) =>
  z
    .url({ protocol: /^https?$/, error: 'must be an http(s) link to a PNG or JPEG image' })
    .max(2000, 'must be a link of at most 2000 characters')
    .optional()
    .describe(`Reference image ${n} (PNG or JPEG); name it @image_${n} in the prompt`);

/** People write on/off, yes/no, true/false; Kling takes on|off. */
export const sound = z
  .preprocess(
    (v) =>
      typeof v === 'boolean'
        ? v
          ? 'on'
          : 'off'
        : typeof v === 'string'
          ? ({ yes: 'on', true: 'on', no: 'off', false: 'off', none: 'off' }[v.trim().toLowerCase()] ??
            v.trim().toLowerCase())
          : v,
    z.enum(['on', 'off'], { error: 'must be on or off' }),
  )
  .optional()
  .describe('Generate sound with the video: on or off (models that can: see /video help)');

export const imageCount = z.coerce
  .number({ error: 'must be a whole number from 1 to 9' })
  .int('must be a whole number from 1 to 9')
  .min(1, 'must be a whole number from 1 to 9')
  .max(9, 'must be a whole number from 1 to 9')
  .optional()
  .describe('How many images (1-9)');

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const DAY_MS = 86_400_000;

/**
 * An ISO 8601 date or date-time → epoch ms, checked field by field (`Date.parse` would roll
 * 2026-02-31 over to 3 March). A time without a zone is UTC (the server's own zone would make the
 * answer depend on where the bot runs). `edge: 'end'` makes a date-only value the last
 * millisecond of that day, so `--until 2026-11-26` includes the 26th.
 */
export function parseIsoInstant(text: string, edge: 'start' | 'end'): number | undefined {
  const m = ISO_INSTANT.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second, milli] = m
    .slice(1, 8)
    .map((v) => (v === undefined ? undefined : Number(v)));
  if (year === undefined || month === undefined || day === undefined) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  if ((hour ?? 0) > 23 || (minute ?? 0) > 59 || (second ?? 0) > 59) return undefined;
  const zone = m[8]?.toUpperCase();
  let offsetMin = 0;
  if (zone && zone !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
    const [zh, zm] = [Number(z?.[2]), Number(z?.[3])];
    if (!z || zh > 23 || zm > 59) return undefined;
    offsetMin = (z[1] === '-' ? -1 : 1) * (zh * 60 + zm);
  }
  const ms =
    Date.UTC(
      year,
      month - 1,
      day,
      hour ?? 0,
      minute ?? 0,
      second ?? 0,
      milli === undefined ? 0 : Number(m[7]?.padEnd(3, '0')),
    ) -
    offsetMin * 60_000;
  return hour === undefined && edge === 'end' ? ms + DAY_MS - 1 : ms;
}

const isoInstant = (edge: 'start' | 'end') =>
  z
    .string()
    .trim()
    .refine(
      (v) => parseIsoInstant(v, edge) !== undefined,
      'must be a real ISO 8601 date such as 2026-11-26 or 2026-11-26T14:00Z (no zone means UTC)',
    )
    .transform((v) => parseIsoInstant(v, edge) ?? Number.NaN);

export const since = isoInstant('start')
  .optional()
  .describe('Only tasks created at or after (ISO 8601 date or time; UTC unless a zone is given)');
export const until = isoInstant('end')
  .optional()
  .describe('Only tasks created at or before (ISO 8601, UTC unless zoned; a date includes that day)');

export const statusFilter = z
  .enum(TaskState.exclude(['pending', 'queued']).options, {
    error: 'must be one of submitted, processing, succeed, failed',
  })
  .optional()
  .describe('Only tasks in this state');

export const scope = z
  .enum(['channel', 'mine'], { error: 'must be channel or mine' })
  .default('channel')
  .describe('This channel, or your own tasks');

/** Deeper than any history one answer searches (MAX_PAGE_SCAN records at 1 a page would be 2,000). */
export const MAX_PAGE = 2000;
const pageError = `must be a whole number from 1 to ${groupedNumber(MAX_PAGE)}`;
export const page = z.coerce
  .number({ error: pageError })
  .int(pageError)
  .min(1, pageError)
  .max(MAX_PAGE, pageError)
  .default(1)
  .describe('Page number');

export const pageSize = z.coerce
  .number({ error: 'must be a whole number from 1 to 25' })
  .int('must be a whole number from 1 to 25')
  .min(1, 'must be a whole number from 1 to 25')
  .max(25, 'must be a whole number from 1 to 25')
  .default(10)
  .describe('Tasks per page (max 25)');
