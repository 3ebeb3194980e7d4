/**
 * Modals (interaction response type 9) as Discord checks them, and the MODAL_SUBMIT interaction
 * (type 5) a user's submission sends. Limits from discord-api-docs (interactions/receiving-and-
 * responding, components reference): custom_id 1–100, title 1–45, 1–5 top-level components;
 * a Label (18) has `label` ≤ 45, `description` ≤ 100 and wraps one component; a Text Input (4)
 * has `custom_id` 1–100, `style` 1 | 2, `min_length` 0–4000, `max_length` 1–4000, `value` and
 * `placeholder` within them; the older form puts one Text Input (with its own `label`) in an
 * Action Row (1).
 */
import { Issues, type IssuePath } from './errors.js';
import { isInt, isRecord, type JsonObject } from './json.js';

const TEXT_MAX = 4000;

function checkText(input: unknown, path: IssuePath, issues: Issues, ids: Set<string>, inRow: boolean): void {
  if (!isRecord(input) || input.type !== 4) {
    issues.add(path, 'COMPONENT_TYPE_INVALID', 'The specified component type is invalid in this context');
    return;
  }
  const id = input.custom_id;
  if (typeof id !== 'string' || id.length < 1 || id.length > 100)
    issues.add([...path, 'custom_id'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
  else if (ids.has(id))
    issues.add([...path, 'custom_id'], 'COMPONENT_CUSTOM_ID_DUPLICATED', 'Component custom id cannot be duplicated');
  else ids.add(id);
  if (input.style !== 1 && input.style !== 2)
    issues.add([...path, 'style'], 'BASE_TYPE_CHOICES', 'Value must be one of {1, 2}.');
  if (inRow) {
    if (typeof input.label !== 'string' || input.label.length < 1 || input.label.length > 45)
      issues.add([...path, 'label'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 45 in length.');
  } else if (input.label !== undefined)
    issues.add(
      [...path, 'label'],
      'COMPONENT_LABEL_INVALID',
      'A text input inside a label takes its label from the label',
    );
  const min = input.min_length;
  const max = input.max_length;
  if (min !== undefined && (!isInt(min) || min < 0 || min > TEXT_MAX))
    issues.add([...path, 'min_length'], 'NUMBER_TYPE_MAX', `int value should be between 0 and ${TEXT_MAX}.`);
  if (max !== undefined && (!isInt(max) || max < 1 || max > TEXT_MAX))
    issues.add([...path, 'max_length'], 'NUMBER_TYPE_MAX', `int value should be between 1 and ${TEXT_MAX}.`);
  if (isInt(min) && isInt(max) && min > max)
    issues.add([...path, 'min_length'], 'BASE_TYPE_BAD_LENGTH', 'min_length must not exceed max_length.');
  const cap = isInt(max) ? max : TEXT_MAX;
  if (input.value !== undefined && (typeof input.value !== 'string' || input.value.length > cap))
    issues.add([...path, 'value'], 'BASE_TYPE_BAD_LENGTH', `Must be between 0 and ${cap} in length.`);
  if (input.placeholder !== undefined && (typeof input.placeholder !== 'string' || input.placeholder.length > 100))
    issues.add([...path, 'placeholder'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 0 and 100 in length.');
  if (input.required !== undefined && typeof input.required !== 'boolean')
    issues.add([...path, 'required'], 'BASE_TYPE_BOOLEAN', 'Must be either true or false.');
}

/** The issues Discord would answer a type 9 response's `data` with (empty: accepted). */
export function modalIssues(data: unknown): Issues {
  const issues = new Issues();
  if (!isRecord(data)) {
    issues.add(['data'], 'BASE_TYPE_REQUIRED', 'This field is required');
    return issues;
  }
  const id = data.custom_id;
  if (typeof id !== 'string' || id.length < 1 || id.length > 100)
    issues.add(['data', 'custom_id'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
  const title = data.title;
  if (typeof title !== 'string' || title.length < 1 || title.length > 45)
    issues.add(['data', 'title'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 45 in length.');
  const comps = data.components;
  if (!Array.isArray(comps) || comps.length < 1 || comps.length > 5) {
    issues.add(['data', 'components'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 5 in length.');
    return issues;
  }
  const ids = new Set<string>();
  comps.forEach((c: unknown, i) => {
    const path: IssuePath = ['data', 'components', i];
    if (isRecord(c) && c.type === 18) {
      if (typeof c.label !== 'string' || c.label.length < 1 || c.label.length > 45)
        issues.add([...path, 'label'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 45 in length.');
      if (c.description !== undefined && (typeof c.description !== 'string' || c.description.length > 100))
        issues.add([...path, 'description'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
      checkText(c.component, [...path, 'component'], issues, ids, false);
    } else if (isRecord(c) && c.type === 1) {
      const row = Array.isArray(c.components) ? c.components : [];
      if (row.length !== 1)
        issues.add([...path, 'components'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 1 in length.');
      row.forEach((t: unknown, j) => checkText(t, [...path, 'components', j], issues, ids, true));
    } else issues.add(path, 'COMPONENT_TYPE_INVALID', 'The specified component type is invalid in this context');
  });
  return issues;
}

/** The text inputs of a shown modal, by custom_id, with what the user must respect. */
export function modalInputs(
  modal: JsonObject,
): Map<string, { min: number; max: number; required: boolean; wrapped: 'label' | 'row' }> {
  const out = new Map<string, { min: number; max: number; required: boolean; wrapped: 'label' | 'row' }>();
  const add = (t: unknown, wrapped: 'label' | 'row') => {
    if (!isRecord(t) || typeof t.custom_id !== 'string') return;
    out.set(t.custom_id, {
      min: isInt(t.min_length) ? t.min_length : 0,
      max: isInt(t.max_length) ? t.max_length : TEXT_MAX,
      required: t.required !== false,
      wrapped,
    });
  };
  for (const c of Array.isArray(modal.components) ? modal.components : []) {
    if (!isRecord(c)) continue;
    if (c.type === 18) add(c.component, 'label');
    else if (Array.isArray(c.components)) for (const t of c.components) add(t, 'row');
  }
  return out;
}

/**
 * What Discord sends when the user submits `modal` with `values` (by text input custom_id): the
 * client enforces required, min_length and max_length, so a submission breaking them cannot exist.
 */
export function modalSubmitData(modal: JsonObject, values: Record<string, string>): JsonObject {
  const inputs = modalInputs(modal);
  for (const name of Object.keys(values))
    if (!inputs.has(name)) throw new Error(`[fake-discord] the modal has no text input ${name}`);
  const components: JsonObject[] = [];
  for (const [name, rule] of inputs) {
    const value = values[name] ?? '';
    if (rule.required && value === '')
      throw new Error(`[fake-discord] ${name} is required: the client will not submit`);
    if (value !== '' && (value.length < rule.min || value.length > rule.max))
      throw new Error(`[fake-discord] ${name} must be ${rule.min}-${rule.max} characters: the client will not submit`);
    const input = { type: 4, custom_id: name, value };
    components.push(rule.wrapped === 'label' ? { type: 18, component: input } : { type: 1, components: [input] });
  }
  return { custom_id: String(modal.custom_id), components };
}
