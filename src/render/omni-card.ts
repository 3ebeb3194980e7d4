import type { GenerationRequest } from '../domain.js';
import { modelName } from '../kling/model-table.js';
import { storyboardKind } from '../kling/rules.js';
import { shorten } from './format.js';

/** The card's parts for omni tasks (reference images, edits) and storyboards. */

type OmniLike = Extract<GenerationRequest, { kind: 'omni' | 'storyboard' }>;

export const isOmniLike = (req: GenerationRequest): req is OmniLike => req.kind === 'omni' || req.kind === 'storyboard';

export function omniTitle(req: OmniLike): string {
  if (req.kind === 'storyboard') return `🎬 Storyboard · ${req.shots.length} shot${req.shots.length > 1 ? 's' : ''}`;
  if (req.edit) return '✏️ Edited video';
  return '🧩 Video from your images';
}

export function omniOptionsText(req: OmniLike): string {
  const kind = req.kind === 'storyboard' ? storyboardKind(req.model) : 'omni';
  const parts: string[] = [modelName(req.model, kind), req.resolution];
  if (req.kind === 'storyboard') parts.push(`${req.shots.reduce((sum, s) => sum + s.seconds, 0)}s`, req.aspect_ratio);
  else {
    if (req.duration) parts.push(`${req.duration}s`);
    if (req.aspect_ratio) parts.push(req.aspect_ratio);
    if (req.images.length) parts.push(`${req.images.length} reference image${req.images.length > 1 ? 's' : ''}`);
  }
  if (req.sound !== undefined) parts.push(req.sound === 'on' ? '🔊 with sound' : '🔇 no sound');
  return parts.join(' · ');
}

/** The storyboard's shots, one a line, as its prompt; an omni task's own prompt. */
export function omniPrompt(req: OmniLike, max: number): string {
  if (req.kind === 'omni') return shorten(req.prompt, max);
  // One line a shot (each shortened on its own, so the lines survive).
  return req.shots.map((s, i) => shorten(`Shot ${i + 1} (${s.seconds}s): ${s.prompt}`, 200)).join('\n');
}

/** The source of an edit (its id for /task, and Kling's link), and what expires about reference images. */
export function omniFields(req: OmniLike, now: number): Array<{ label: string; value: string }> {
  if (req.kind !== 'omni') return [];
  const fields: Array<{ label: string; value: string }> = [];
  if (req.edit) fields.push({ label: 'Edits', value: `${req.edit.parentTaskId} · ${req.edit.video_url}` });
  if (req.images.length && req.imagesExpireAt !== undefined) {
    const when = new Date(req.imagesExpireAt).toISOString().slice(0, 16).replace('T', ' ');
    fields.push({
      label: 'Reference images',
      value:
        now >= req.imagesExpireAt
          ? 'Their links have expired, so Regenerate cannot resend them: run /video again with the images.'
          : `Their links expire ${when} UTC; Regenerate works until then.`,
    });
  }
  return fields;
}
