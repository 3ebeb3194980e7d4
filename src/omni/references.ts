import type { Violation } from './violation.js';

/**
 * Reference images named in a prompt. Users write Kling's new-standard syntax, `@image_1`
 * (docs/sources.md, "Omni": inputs are named in the prompt as `@id`); the legacy omni-video
 * endpoint names the same inputs `<<<image_1>>>`, 1-based in list order.
 */

/** How many reference images `/video` offers (image_1..image_4); Kling takes up to 7 without a video. */
export const MAX_REFERENCE_IMAGES = 4;

export type ReferenceRule = 'images_not_taken' | 'too_many_images' | 'unknown_image';

// Not inside a word or an e-mail address ("me@image_1.com" is not a reference); any case.
const NAME = /(?<![\w@])@image_(\d{1,3})(?![\w])/gi;

/** The image numbers a prompt names, each once, in ascending order. */
export function namedImages(prompt: string): number[] {
  const found = new Set<number>();
  for (const m of prompt.matchAll(NAME)) found.add(Number(m[1]));
  return [...found].sort((a, b) => a - b);
}

/**
 * The first thing wrong with `given` reference images for `prompt` on a model taking at most
 * `maxImages` (0: none), or undefined. Images the prompt does not name are allowed: Kling uses
 * them as references all the same.
 */
export function referenceViolation(
  prompt: string,
  given: number,
  model: string,
  maxImages: number,
): Violation<ReferenceRule> | undefined {
  if (given > 0 && maxImages === 0)
    return {
      rule: 'images_not_taken',
      field: 'image_1',
      message: `${model} takes no reference images: leave the images out or choose an omni model`,
    };
  if (given > maxImages)
    return {
      rule: 'too_many_images',
      field: `image_${maxImages + 1}`,
      message: `${model} takes at most ${maxImages} reference images (you gave ${given})`,
    };
  const missing = namedImages(prompt).find((n) => n < 1 || n > given);
  if (missing !== undefined)
    return {
      rule: 'unknown_image',
      field: 'prompt',
      message:
        given === 0
          ? `names @image_${missing}, but no image was given: attach it as image_${missing} (Slack: --image URL)`
          : `names @image_${missing}, but only ${given === 1 ? 'image_1 was' : `image_1 to image_${given} were`} given`,
    };
  return undefined;
}

/** The prompt for Kling's new standard: every reference in its canonical `@image_n` spelling. */
export const newStandardReferences = (prompt: string): string =>
  prompt.replace(NAME, (_all, n: string) => `@image_${Number(n)}`);

/** The prompt for the legacy omni-video endpoint: `@image_n` → `<<<image_n>>>`. */
export const legacyReferences = (prompt: string): string =>
  prompt.replace(NAME, (_all, n: string) => `<<<image_${Number(n)}>>>`);
