import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CapabilityRow, primaryId, rowMatches, type CapabilityKind, type Resolution } from './capabilities.js';
import { BUILT_IN_ROWS } from './model-rows.js';

/**
 * The table in use: the built-in rows, with the operator's KLING_MODELS_FILE over them. It is
 * chosen once at start (`useModelTable`, from the loaded configuration), never fixed at import, so
 * Discord's suggestions and the bot's checks follow the operator's file.
 */

/** Validated at import: a bad built-in row is a programming error and fails every test. */
export const BUILT_IN: readonly CapabilityRow[] = z.array(CapabilityRow).parse(BUILT_IN_ROWS);

let active: readonly CapabilityRow[] = BUILT_IN;

export const modelTable = (): readonly CapabilityRow[] => active;

export function useModelTable(rows: readonly CapabilityRow[]): void {
  active = rows;
}

const sameRow = (a: CapabilityRow, b: CapabilityRow): boolean =>
  a.kind === b.kind && [b.id, b.legacy].some((m) => m !== undefined && rowMatches(a, m));

/** The operator's rows over the built-in ones: a row for the same model and kind replaces the built-in row whole. */
export function mergeRows(base: readonly CapabilityRow[], extra: readonly CapabilityRow[]): CapabilityRow[] {
  return [...base.filter((row) => !extra.some((e) => sameRow(row, e))), ...extra];
}

/**
 * KLING_MODELS_FILE: a JSON array of rows, each checked with the table's own schema. The
 * problems name the row (index and model) and the field, one line each.
 */
export function readModelsFile(path: string): { rows: CapabilityRow[] } | { problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const why = err instanceof SyntaxError ? 'is not valid JSON' : 'cannot be read';
    return { problems: [`${path} ${why}`] };
  }
  if (!Array.isArray(json)) return { problems: [`${path} must hold a JSON array of model rows`] };
  const rows: CapabilityRow[] = [];
  const problems: string[] = [];
  json.forEach((item: unknown, index) => {
    const parsed = CapabilityRow.safeParse(item);
    if (parsed.success) return void rows.push(parsed.data);
    const raw = (item ?? {}) as Record<string, unknown>;
    const model = [raw['id'], raw['legacy']].find((v) => typeof v === 'string') ?? 'no model id';
    for (const issue of parsed.error.issues)
      problems.push(`row ${index} (${String(model)}): ${issue.path.join('.') || 'row'}: ${issue.message}`);
  });
  return problems.length ? { problems } : { rows };
}

/** The row of a model (either of its ids) and kind. */
export const rowFor = (
  model: string,
  kind: CapabilityKind,
  table: readonly CapabilityRow[] = modelTable(),
): CapabilityRow | undefined => table.find((r) => r.kind === kind && rowMatches(r, model));

/** Models of one kind by their first id, in table order (oldest first). */
export const modelsFor = (kind: CapabilityKind, table: readonly CapabilityRow[] = modelTable()): string[] =>
  table.filter((r) => r.kind === kind).map(primaryId);

/** The model is known, but for other kinds only. */
export const knownElsewhere = (
  model: string,
  kind: CapabilityKind,
  table: readonly CapabilityRow[] = modelTable(),
): boolean => !rowFor(model, kind, table) && table.some((r) => rowMatches(r, model));

/**
 * The dearest per-second price of any row of a kind (audio and 4K included), for budgets: a model
 * the table does not know counts at this, so naming one never slips past a cap.
 */
export function highestPerSecond(kind: CapabilityKind, table: readonly CapabilityRow[] = modelTable()): number {
  let most = 0;
  for (const row of table) {
    if (row.kind !== kind) continue;
    const figures = [...Object.values(row.units?.perSecond ?? {}), ...Object.values(row.units?.audioPerSecond ?? {})];
    for (const f of figures) most = Math.max(most, f);
  }
  return most;
}

/** The model's display name, or the id as typed when the table does not know it. */
export function modelName(
  model: string,
  kind?: CapabilityKind,
  table: readonly CapabilityRow[] = modelTable(),
): string {
  const row = kind ? rowFor(model, kind, table) : table.find((r) => rowMatches(r, model));
  return row?.name ?? model;
}

export type { Resolution };
