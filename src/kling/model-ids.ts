import type { CapabilityRow } from './capabilities.js';
import { modelTable } from './model-table.js';

/**
 * Kling names one model two ways: the new standard's id (in the path) and the legacy `model_name`.
 * The pairs are the model table's rows (built-in, or corrected by KLING_MODELS_FILE), so a pair an
 * operator fixes there is fixed here too.
 */

/** Every id `model` goes by (itself first), lower-cased. */
export function idsOf(model: string, table: readonly CapabilityRow[] = modelTable()): string[] {
  const id = model.trim().toLowerCase();
  const ids = new Set([id]);
  for (const row of table)
    if (row.id?.toLowerCase() === id || row.legacy?.toLowerCase() === id)
      for (const other of [row.id, row.legacy]) if (other) ids.add(other.toLowerCase());
  return [...ids];
}

/** ALLOWED_MODELS: an empty list allows every model; otherwise either id of the model must be on it. */
export function modelAllowed(
  model: string,
  allowed: readonly string[],
  table: readonly CapabilityRow[] = modelTable(),
): boolean {
  if (allowed.length === 0) return true;
  const listed = new Set(allowed.map((m) => m.trim().toLowerCase()));
  return idsOf(model, table).some((id) => listed.has(id));
}
