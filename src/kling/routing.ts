import type { GenerationRequest, Standard } from '../domain.js';
import { capabilityKindOf, type CapabilityRow } from './capabilities.js';
import { modelTable, rowFor } from './model-table.js';
import { storyboardKind } from './rules.js';
import { speaksNew } from './standards/new.js';

/**
 * Which of Kling's two API standards carries a task, decided once when its record is written (and
 * stored there, so a change of credentials or KLING_API never strands a task in flight).
 *
 * - `KLING_API=new|legacy` forces every video task to one standard (gateways that speak one);
 * - `auto`: the new standard when the model exists there and an API key is configured, else the
 *   legacy one. Images and video-extend exist only on the legacy standard.
 * - A model the table does not know goes by the shape of its id: legacy names are `kling-v…` /
 *   `kling-video-…` (`kling-v2-6`), new ids are not (`kling-3.0`, `kling-4.0`).
 */
export interface Routing {
  api: 'auto' | 'new' | 'legacy';
  hasKey: boolean;
}

const LEGACY_SHAPED = /^kling-(v\d|video-)/;

export function standardFor(
  req: Pick<GenerationRequest, 'kind' | 'model'>,
  routing: Routing,
  table: readonly CapabilityRow[] = modelTable(),
): Standard {
  if (!speaksNew(req.kind) || routing.api === 'legacy') return 'legacy';
  if (routing.api === 'new') return 'new';
  if (!routing.hasKey) return 'legacy';
  const kind = req.kind === 'storyboard' ? storyboardKind(req.model, table) : capabilityKindOf(req);
  const row = rowFor(req.model, kind, table);
  if (row) return row.id ? 'new' : 'legacy';
  return LEGACY_SHAPED.test(req.model) ? 'legacy' : 'new';
}
