import { z } from 'zod';

/** The kinds of field the configuration is made of (config.ts): each parses one environment variable. */

export const csv = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

/**
 * A variable set to nothing (`USER_MAX_DAILY_TASKS=` in .env) means "use the default": coercing
 * it would make 0, which for a limit means unlimited and for PORT a random port.
 */
export const blankIsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const wholeNumber = (schema: z.ZodCoercedNumber, fallback: number) =>
  z.preprocess(blankIsUnset, schema.default(fallback));

export const count = (fallback: number) =>
  wholeNumber(
    z.coerce
      .number({ error: 'must be a whole number (0 = unlimited)' })
      .int('must be a whole number')
      .min(0, 'must be 0 or more'),
    fallback,
  );

export const optionalText = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));

export const httpUrl = () => z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
export const url = (fallback: string) => z.preprocess(blankIsUnset, httpUrl().default(fallback));
/** Text with a default: blank means the default, like every other variable. */
export const textOr = (fallback: string) => z.preprocess(blankIsUnset, z.string().trim().default(fallback));
