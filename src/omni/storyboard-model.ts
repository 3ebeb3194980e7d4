import { primaryId, type CapabilityRow, type Durations } from '../kling/capabilities.js';
import { modelTable, rowFor } from '../kling/model-table.js';
import type { MultiShotLimits } from './storyboard.js';

/**
 * Which model makes a storyboard (docs/sources.md, "Omni"). Multi-shot is a feature of Kling 3.0's
 * text-to-video and of 3.0 Omni; legacy text-to-video has none, so on the legacy standard an omni
 * model carries the shots (omni-video with `multi_shot` + `multi_prompt`).
 */

/** The row a storyboard of `model` is judged by: its text-to-video row, else its omni row. */
export const storyboardRow = (
  model: string,
  table: readonly CapabilityRow[] = modelTable(),
): CapabilityRow | undefined => rowFor(model, 'text2video', table) ?? rowFor(model, 'omni', table);

const multiShot = (row: CapabilityRow | undefined): row is CapabilityRow => row?.multiShot === true;

/** The models that make multi-shot videos, by their first id, text-to-video first. */
export const multiShotModels = (table: readonly CapabilityRow[] = modelTable()): string[] =>
  [...table.filter((r) => r.kind === 'text2video'), ...table.filter((r) => r.kind === 'omni')]
    .filter(multiShot)
    .map(primaryId);

/** What the row allows a storyboard; a model the table does not know makes none. */
export function multiShotLimits(row: CapabilityRow | undefined): MultiShotLimits {
  const d: Durations | undefined = row?.durations;
  const seconds = d ? ('oneOf' in d ? d.oneOf : [d.min, d.max]) : [0];
  return { multiShot: multiShot(row), minSeconds: Math.min(...seconds), maxSeconds: Math.max(...seconds) };
}

/**
 * The model a storyboard names none of: KLING_DEFAULT_MODEL when it does multi-shot, else
 * KLING_DEFAULT_OMNI_MODEL when it does, else the table's first multi-shot model.
 */
export function defaultStoryboardModel(
  videoModel: string,
  omniModel: string | undefined,
  table: readonly CapabilityRow[] = modelTable(),
): string | undefined {
  if (multiShot(rowFor(videoModel, 'text2video', table))) return videoModel;
  if (omniModel && multiShot(rowFor(omniModel, 'omni', table))) return omniModel;
  return multiShotModels(table)[0];
}

/**
 * The omni model that carries a storyboard on the legacy standard: the model itself when it is a
 * multi-shot omni model, else KLING_DEFAULT_OMNI_MODEL when it does multi-shot and exists there,
 * else the table's first such omni model.
 */
export function legacyCarrier(
  model: string,
  omniModel: string | undefined,
  table: readonly CapabilityRow[] = modelTable(),
): string | undefined {
  const carries = (row: CapabilityRow | undefined): row is CapabilityRow => multiShot(row) && row.legacy !== undefined;
  const own = rowFor(model, 'omni', table);
  if (carries(own)) return model;
  if (omniModel && carries(rowFor(omniModel, 'omni', table))) return omniModel;
  const first = table.find((r) => r.kind === 'omni' && carries(r));
  return first ? primaryId(first) : undefined;
}
