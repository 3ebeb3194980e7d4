/**
 * A refused request, as a value: which rule, which option the user should look at, and the
 * sentence they see. The omni decisions return one instead of throwing, so they stay pure and
 * each caller (command, modal, button) turns it into its own private answer.
 */
export interface Violation<R extends string = string> {
  rule: R;
  /** The user-facing option or input the rule is about. */
  field: string;
  message: string;
}

export type Checked<T, R extends string = string> = { ok: true; value: T } | { ok: false; violation: Violation<R> };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const refuse = <R extends string>(
  rule: R,
  field: string,
  message: string,
): { ok: false; violation: Violation<R> } => ({
  ok: false,
  violation: { rule, field, message },
});
