/**
 * Kling names one model two ways: the new standard's id (in the path) and the legacy
 * `model_name`. The pairs are REFERENCE.md's "Kling models, as of late 2026" table; the pairing
 * itself is the gateways', not Kling's (REFERENCE.md, "Uncertain").
 */
const PAIRS: ReadonlyArray<readonly [newId: string, legacy: string]> = [
  ['kling-3.0', 'kling-v3'],
  ['kling-3.0-omni', 'kling-v3-omni'],
  ['kling-o1', 'kling-video-o1'],
  ['kling-2.6', 'kling-v2-6'],
  ['kling-2.5-turbo', 'kling-v2-5-turbo'],
];

const OTHER = new Map<string, string>(PAIRS.flatMap(([a, b]) => [[a, b] as const, [b, a] as const]));

/** Every id `model` goes by (itself first), lower-cased. */
export function idsOf(model: string): string[] {
  const id = model.trim().toLowerCase();
  const other = OTHER.get(id);
  return other ? [id, other] : [id];
}

/** ALLOWED_MODELS: an empty list allows every model; otherwise either id of the model must be on it. */
export function modelAllowed(model: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const listed = new Set(allowed.map((m) => m.trim().toLowerCase()));
  return idsOf(model).some((id) => listed.has(id));
}
