import { totalSeconds, type Shot } from './storyboard.js';

/**
 * Kling's two multi-shot forms (docs/sources.md, "Omni"). The new standard has text-to-video
 * read the shots from the prompt, `shot n, m, words;`, with `settings.multi_shot` on and the
 * total as `duration`. Legacy text-to-video has no multi-shot, so the legacy form is omni-video
 * with `multi_shot`, `shot_type: customize` and `multi_prompt[]` (the top-level prompt is then
 * ignored by Kling).
 */

/** The new standard's shot syntax. `;` ends a shot there, so one inside a shot's words becomes `,`. */
export function shotSyntaxPrompt(shots: readonly Shot[]): string {
  return shots.map((s, i) => `shot ${i + 1}, ${s.seconds}, ${s.prompt.replace(/;/g, ',')};`).join(' ');
}

export interface NewStandardMultiShot {
  prompt: string;
  settings: { multi_shot: true; duration: number };
}

export function newStandardMultiShot(shots: readonly Shot[]): NewStandardMultiShot {
  return { prompt: shotSyntaxPrompt(shots), settings: { multi_shot: true, duration: totalSeconds(shots) } };
}

export interface LegacyMultiShot {
  multi_shot: true;
  shot_type: 'customize';
  /** 1-based, in order; each duration a string of whole seconds like every legacy duration. */
  multi_prompt: { index: number; prompt: string; duration: string }[];
  duration: string;
}

export function legacyMultiShot(shots: readonly Shot[]): LegacyMultiShot {
  return {
    multi_shot: true,
    shot_type: 'customize',
    multi_prompt: shots.map((s, i) => ({ index: i + 1, prompt: s.prompt, duration: String(s.seconds) })),
    duration: String(totalSeconds(shots)),
  };
}
