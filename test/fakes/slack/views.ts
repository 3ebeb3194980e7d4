/**
 * Slack modals: `views.open` and the `view_submission` a user's submit sends (docs.slack.dev:
 * views.open, view_submission, modal view object). A trigger id is valid 3 s and for one use
 * (`expired_trigger_id`, `exchanged_trigger_id`); a modal has a plain_text title ≤ 24 chars,
 * submit/close ≤ 24, ≤ 100 blocks, `private_metadata` ≤ 3,000, `callback_id` ≤ 255; an input
 * block has a plain_text label ≤ 2,000 and one element; a plain_text_input's `max_length` is at
 * most 3,000.
 */
import type { JsonObject } from './blocks.js';

export const TRIGGER_LIFETIME_MS = 3000;

export interface TriggerRecord {
  issuedAt: number;
  teamId: string;
  userId: string;
  used: boolean;
}

export interface ViewRecord {
  id: string;
  teamId: string;
  userId: string;
  view: JsonObject;
  openedAt: number;
  /** Submitted already (Slack closes a modal on a plain ack). */
  closed: boolean;
}

const isObj = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function plain(v: unknown, max: number, where: string, errors: string[], required = true): void {
  if (v === undefined && !required) return;
  if (!isObj(v) || v.type !== 'plain_text' || typeof v.text !== 'string' || v.text.length < 1 || v.text.length > max)
    errors.push(`[ERROR] must be a plain_text object of 1-${max} characters [json-pointer:${where}]`);
}

/** Slack's complaints about a modal view (empty: accepted). */
export function viewErrors(view: unknown): string[] {
  const errors: string[] = [];
  if (!isObj(view)) return ['[ERROR] view is required [json-pointer:/view]'];
  if (view.type !== 'modal') errors.push('[ERROR] must be modal [json-pointer:/view/type]');
  plain(view.title, 24, '/view/title', errors);
  plain(view.submit, 24, '/view/submit', errors, false);
  plain(view.close, 24, '/view/close', errors, false);
  if (view.callback_id !== undefined && (typeof view.callback_id !== 'string' || view.callback_id.length > 255))
    errors.push('[ERROR] must be at most 255 characters [json-pointer:/view/callback_id]');
  if (
    view.private_metadata !== undefined &&
    (typeof view.private_metadata !== 'string' || view.private_metadata.length > 3000)
  )
    errors.push('[ERROR] must be at most 3000 characters [json-pointer:/view/private_metadata]');
  const blocks = view.blocks;
  if (!Array.isArray(blocks) || blocks.length < 1 || blocks.length > 100) {
    errors.push('[ERROR] must have 1-100 blocks [json-pointer:/view/blocks]');
    return errors;
  }
  const inputs = blocks.filter((b) => isObj(b) && b.type === 'input');
  if (inputs.length > 0 && view.submit === undefined)
    errors.push('[ERROR] a modal with input blocks needs a submit button [json-pointer:/view/submit]');
  const ids = new Set<string>();
  blocks.forEach((b: unknown, i) => {
    const at = `/view/blocks/${i}`;
    if (!isObj(b)) return errors.push(`[ERROR] must be an object [json-pointer:${at}]`);
    if (b.block_id !== undefined) {
      if (typeof b.block_id !== 'string' || b.block_id.length > 255 || ids.has(b.block_id))
        errors.push(`[ERROR] block_id must be unique and at most 255 characters [json-pointer:${at}/block_id]`);
      else ids.add(b.block_id);
    }
    if (b.type === 'section' || b.type === 'context' || b.type === 'divider' || b.type === 'header') return;
    if (b.type !== 'input') return errors.push(`[ERROR] unsupported block type ${String(b.type)} [json-pointer:${at}]`);
    plain(b.label, 2000, `${at}/label`, errors);
    const el = b.element;
    if (!isObj(el) || el.type !== 'plain_text_input')
      return errors.push(`[ERROR] unsupported element [json-pointer:${at}/element]`);
    if (typeof el.action_id !== 'string' || el.action_id.length < 1 || el.action_id.length > 255)
      errors.push(`[ERROR] action_id must be 1-255 characters [json-pointer:${at}/element/action_id]`);
    for (const k of ['max_length', 'min_length'] as const) {
      const n = el[k];
      if (n !== undefined && (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 3000))
        errors.push(`[ERROR] must be 0-3000 [json-pointer:${at}/element/${k}]`);
    }
    if (el.initial_value !== undefined && (typeof el.initial_value !== 'string' || el.initial_value.length > 3000))
      errors.push(`[ERROR] must be at most 3000 characters [json-pointer:${at}/element/initial_value]`);
    plain(el.placeholder, 150, `${at}/element/placeholder`, errors, false);
    return undefined;
  });
  return errors;
}

/** The input blocks of a view: block_id → action_id and the limits Slack's client enforces. */
export function viewInputs(
  view: JsonObject,
): Map<string, { actionId: string; min: number; max: number; optional: boolean }> {
  const out = new Map<string, { actionId: string; min: number; max: number; optional: boolean }>();
  for (const b of Array.isArray(view.blocks) ? view.blocks : []) {
    if (!isObj(b) || b.type !== 'input' || !isObj(b.element) || typeof b.block_id !== 'string') continue;
    const el = b.element;
    out.set(b.block_id, {
      actionId: String(el.action_id),
      min: typeof el.min_length === 'number' ? el.min_length : 0,
      max: typeof el.max_length === 'number' ? el.max_length : 3000,
      optional: b.optional === true,
    });
  }
  return out;
}
