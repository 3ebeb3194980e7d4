import type { CardView } from './view.js';

/**
 * The words before the date Kling deletes its own copy of a result, on a card whose video is uploaded
 * to the platform: only Extend and Edit still need Kling's copy (Kling cannot fetch the platform's),
 * so the card names the ones its buttons offer, and says nothing of a follow-up it does not have.
 */
export function klingCopyUntil(buttons: CardView['buttons']): string {
  const needKling = (['extend', 'edit'] as const).filter((a) => buttons.some((b) => b.action === a));
  if (needKling.length === 2) return 'Extend and Edit work until';
  if (needKling[0] === 'extend') return 'Extend works until';
  if (needKling[0] === 'edit') return 'Edit works until';
  return "Kling's own copy is kept until";
}
