import { z } from 'zod';
import { modelSummary, primaryId, rowMatches, type CapabilityKind } from '../kling/capabilities.js';
import { modelTable } from '../kling/model-table.js';

/** What the help text reads of a command (commands/ satisfy it; the core does not import them). */
export interface UsageSubject {
  name: string;
  options: z.ZodObject;
  freeText?: string;
  modelKind?: CapabilityKind;
}

/** `/video help`: a command's flags and, for generation commands, the models it takes (from the capability table). */

const JsonProps = z.object({
  properties: z
    .record(
      z.string(),
      z.object({ enum: z.array(z.union([z.string(), z.number()])).optional(), description: z.string().optional() }),
    )
    .default({}),
});

/** `3|4|…|15` → `3–15`; other lists joined with `|`. */
function valuesText(values: ReadonlyArray<string | number>): string {
  const nums = values.map(Number);
  const consecutive =
    values.length > 3 && nums.every((n, i) => Number.isInteger(n) && (i === 0 || n === (nums[i - 1] ?? 0) + 1));
  return consecutive ? `${nums[0]}–${nums.at(-1)}` : values.join('|');
}

export function modelLines(command: Pick<UsageSubject, 'modelKind'>, defaultModel?: string): string[] {
  if (!command.modelKind) return [];
  const rows = modelTable().filter((r) => r.kind === command.modelKind);
  return rows.map(
    (r) =>
      `• ${primaryId(r)}${defaultModel && rowMatches(r, defaultModel) ? ' (default)' : ''}: ${modelSummary(r)}${r.gw ? ' (legacy id from gateways’ docs)' : ''}`,
  );
}

export function usageText(command: UsageSubject, defaultModel?: string): string {
  const schema = JsonProps.parse(z.toJSONSchema(command.options, { io: 'input', unrepresentable: 'any' }));
  const flags = Object.entries(schema.properties)
    .filter(([name]) => name !== command.freeText)
    .map(([name, p]) => `--${name.replace(/_/g, '-')}${p.enum ? ` ${valuesText(p.enum)}` : ''}`);
  const head = command.freeText
    ? `/${command.name} ${command.freeText.replace(/_/g, ' ')} [--options]`
    : `/${command.name} [--options]`;
  const lines = [head, `Options: ${flags.length ? flags.join(', ') : 'none'}`];
  const models = modelLines(command, defaultModel);
  if (models.length) {
    lines.push(`Models for /${command.name}:`, ...models, 'Another Kling model name is sent to Kling as given.');
  }
  return lines.join('\n');
}
