import { isFinal, type GenerationRequest, type TaskRecord } from './domain.js';
import { worstCaseUnitsOf } from './kling/rules.js';

/**
 * Daily budgets in Kling video units (USER_MAX_DAILY_UNITS, GUILD_MAX_DAILY_UNITS, MAX_DAILY_UNITS;
 * README, Configuration and Budgets): what a task counts when it is admitted, and what it counts
 * once Kling has charged it.
 * Pure; the store does the counting (atomically with the record, see store/units-ledger.ts).
 */

/** Kling's list price of one video unit, in US dollars (docs/sources.md, "Prices and units"). */
export const VIDEO_UNIT_USD = 0.14;

/**
 * One image unit, in video units. docs/sources.md gives the video unit's price ($0.14) and "images ≈ 8
 * image units each", but no source we have gives the image unit's price. Gateways resell one Kling
 * image for $0.02–0.04 (e.g. https://302ai-en.apifox.cn/322532993e0). We count an image unit as a
 * tenth of a video unit ($0.014), so an image of 8 image units counts 0.8 video units ($0.112):
 * several times the gateway price, on purpose — a budget that overcounts images is the safe error.
 */
export const IMAGE_UNIT_IN_VIDEO_UNITS = 0.1;

export type BudgetName = 'user' | 'guild' | 'bot';
export const BUDGET_NAMES: readonly BudgetName[] = ['user', 'guild', 'bot'];
export type PerBudget = Record<BudgetName, number>;

/** The store keeps units in hundredths: whole numbers, so counters add up exactly on every backend. */
export const toHundredths = (units: number): number => Math.round(units * 100);
export const fromHundredths = (hundredths: number): number => hundredths / 100;

const round = (n: number) => Math.round(n * 100) / 100;

/** Video units a task counts when admitted: the table's estimate, or its dearest rate for a model it does not know. */
export function budgetUnitsOf(req: GenerationRequest): number {
  const units = worstCaseUnitsOf(req);
  return req.kind === 'image' ? round(units * IMAGE_UNIT_IN_VIDEO_UNITS) : units;
}

/** A cash charge (Kling's new-standard `billing[]` with `charge_type: cash`), in video units at the list price. */
export const cashToUnits = (usd: number): number => round(usd / VIDEO_UNIT_USD);

/** What Kling charged for a task, in video units; undefined when it has not said (or said nonsense). */
export function chargedUnitsOf(rec: Pick<TaskRecord, 'credits' | 'request'>): number | undefined {
  if (rec.credits === undefined || rec.credits.trim() === '') return undefined;
  const charged = Number(rec.credits);
  if (!Number.isFinite(charged) || charged < 0) return undefined;
  return rec.request.kind === 'image' ? round(charged * IMAGE_UNIT_IN_VIDEO_UNITS) : charged;
}

/** The budget a new task would break, with the figures its refusal names (all in hundredths). */
export interface BudgetRefusal {
  budget: BudgetName;
  cap: number;
  used: number;
  needs: number;
}

/**
 * GIVEN what each budget has used today, what the task needs and the caps (0 = unlimited), all in
 * hundredths, THEN the first budget (user, then server, then the whole bot) it would pass, if any.
 * The Redis admission script (store/units-ledger.ts) mirrors this rule.
 */
export function overBudget(used: PerBudget, needs: number, caps: PerBudget): BudgetRefusal | undefined {
  if (needs <= 0) return undefined;
  for (const budget of BUDGET_NAMES) {
    const cap = caps[budget];
    if (cap > 0 && used[budget] + needs > cap) return { budget, cap, used: used[budget], needs };
  }
  return undefined;
}

/**
 * GIVEN a record before and after a change, THEN the record to store and how many hundredths the
 * day's budgets change by. The budget field is the store's: a writer's stale copy never undoes a
 * settlement. A task settles once, when it ends: with what Kling charged; a failed task Kling did
 * not charge gives its units back; a finished task with no figure keeps its estimate.
 */
export function settle(current: TaskRecord, next: TaskRecord): { record: TaskRecord; delta: number } {
  const budget = current.budget;
  if (!budget) return { record: next, delta: 0 };
  if (budget.settled || !isFinal(next.state)) return { record: { ...next, budget }, delta: 0 };
  const charged = chargedUnitsOf(next) ?? (next.state === 'failed' ? 0 : budget.units);
  return {
    record: { ...next, budget: { ...budget, settled: true, charged } },
    delta: toHundredths(charged) - toHundredths(budget.units),
  };
}

/**
 * GIVEN a record that lost a race (never shown, never sent to Kling), THEN the record marked
 * released and the hundredths to give back (none when it was settled already: an unsettled one
 * gives its estimate back); undefined when it was released already. Its task slot goes back too.
 */
export function releaseOf(current: TaskRecord): { record: TaskRecord; delta: number } | undefined {
  const budget = current.budget ?? { units: 0 };
  if (budget.released) return undefined;
  return {
    record: { ...current, budget: { ...budget, settled: true, released: true, charged: budget.charged ?? 0 } },
    delta: budget.settled ? 0 : -toHundredths(budget.units),
  };
}
