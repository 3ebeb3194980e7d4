import { groupedNumber } from '../render/format.js';
import { ok, refuse, type Checked, type Violation } from './violation.js';

/**
 * A storyboard: 1–6 shots, each with its own length and prompt (docs/sources.md, "Omni",
 * multi-shot: whole seconds ≥ 1 per shot summing to the duration, ≤ 512 characters each).
 * Slack writes it on one line, `3: a cat jumps | 4: it lands softly`; Discord's modal takes one
 * shot per line, `seconds: what happens`. Both separators work everywhere.
 */

export interface Shot {
  /** Whole seconds, at least 1. */
  seconds: number;
  prompt: string;
}

export const MAX_SHOTS = 6;
export const SHOT_PROMPT_MAX = 512;

export type StoryboardRule =
  'shot_form' | 'shot_seconds' | 'shot_prompt' | 'shot_count' | 'total_duration' | 'multi_shot_model';

// "3: …", "3s: …", "3 sec: …", "3 seconds - …" — the number first, then a colon or dash.
const SHOT = /^(\d+(?:[.,]\d+)?)\s*(?:s|secs?|seconds?)?\s*[:\-\u2013\u2014]\s*([\s\S]*)$/i;

/** The shots of a storyboard, or the first shot that breaks a rule, named by its number. */
export function parseStoryboard(text: string): Checked<Shot[], StoryboardRule> {
  const parts = text
    .split(/\||\r?\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const field = 'shots';
  if (parts.length === 0)
    return refuse('shot_count', field, `needs at least one shot, written as \`seconds: what happens\``);
  if (parts.length > MAX_SHOTS)
    return refuse('shot_count', field, `has ${parts.length} shots: a storyboard takes 1 to ${MAX_SHOTS}`);
  const shots: Shot[] = [];
  for (const [i, part] of parts.entries()) {
    const name = `shot ${i + 1}`;
    const m = SHOT.exec(part);
    if (!m)
      return refuse(
        'shot_form',
        field,
        `${name} must be written as \`seconds: what happens\`, such as \`3: a cat jumps\` (got "${part.slice(0, 40)}")`,
      );
    const seconds = Number((m[1] ?? '').replace(',', '.'));
    const prompt = (m[2] ?? '').replace(/\s+/g, ' ').trim();
    if (!Number.isInteger(seconds)) return refuse('shot_seconds', field, `${name} lasts ${m[1]} s: use whole seconds`);
    if (seconds < 1) return refuse('shot_seconds', field, `${name} must last at least 1 second`);
    if (prompt === '') return refuse('shot_prompt', field, `${name} says nothing: describe what happens in it`);
    if (prompt.length > SHOT_PROMPT_MAX)
      return refuse(
        'shot_prompt',
        field,
        `${name} must be at most ${SHOT_PROMPT_MAX} characters (it has ${groupedNumber(prompt.length)})`,
      );
    shots.push({ seconds, prompt });
  }
  return ok(shots);
}

export const totalSeconds = (shots: readonly Shot[]): number => shots.reduce((sum, s) => sum + s.seconds, 0);

/** What a model allows a storyboard: whether it does multi-shot, and its durations. */
export interface MultiShotLimits {
  multiShot: boolean;
  minSeconds: number;
  maxSeconds: number;
}

/** The model's rules on the whole storyboard: a multi-shot model, the total within its durations. */
export function storyboardViolation(
  shots: readonly Shot[],
  model: string,
  limits: MultiShotLimits,
): Violation<StoryboardRule> | undefined {
  if (!limits.multiShot)
    return {
      rule: 'multi_shot_model',
      field: 'model',
      message: `${model} does not make multi-shot videos: choose one that does`,
    };
  const total = totalSeconds(shots);
  if (total < limits.minSeconds || total > limits.maxSeconds)
    return {
      rule: 'total_duration',
      field: 'shots',
      message: `the shots last ${total} s in all (${shots.map((s) => s.seconds).join(' + ')}); ${model} makes ${limits.minSeconds} to ${limits.maxSeconds} s videos`,
    };
  return undefined;
}
