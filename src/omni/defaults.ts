import type { CapabilityRow } from '../kling/capabilities.js';
import { primaryId } from '../kling/capabilities.js';
import { modelTable, rowFor } from '../kling/model-table.js';

/**
 * KLING_DEFAULT_OMNI_MODEL: the model for reference images, edits and legacy storyboards, named
 * explicitly (Kling's legacy default is the older O1). Chosen at start (`useOmniModel`), read by
 * the commands and by the card (whether it shows Edit).
 */

/** The newest omni model of the table: the highest version in its name (Kling 3.0 Omni over O1). */
export function newestOmniModel(table: readonly CapabilityRow[] = modelTable()): string | undefined {
  const version = (row: CapabilityRow) => Number(/(\d+(?:\.\d+)?)/.exec(row.name)?.[1] ?? 0);
  const omni = table.filter((r) => r.kind === 'omni').sort((a, b) => version(b) - version(a));
  return omni[0] ? primaryId(omni[0]) : undefined;
}

let chosen: string | undefined;

export function useOmniModel(model: string | undefined): void {
  chosen = model;
}

export const omniModel = (): string => chosen ?? newestOmniModel() ?? 'kling-3.0-omni';

/** The omni row in use, when the table knows it. */
export const omniRow = (model = omniModel()): CapabilityRow | undefined => rowFor(model, 'omni');
