import { existsSync } from 'node:fs';
import { z } from 'zod';

const csv = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean));

const count = (fallback: number) =>
  z.coerce.number({ error: 'must be a whole number (0 = unlimited)' }).int('must be a whole number').min(0, 'must be 0 or more').default(fallback);

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));

const httpUrl = () => z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const url = (fallback: string) => httpUrl().default(fallback);

/** The configuration contract of SPEC §6; names are fixed, operators rely on them. */
export const EnvSchema = z
  .object({
    KLING_API_BASE_URL: url('https://api-singapore.klingai.com'),
    KLING_ACCESS_KEY: optionalText,
    KLING_SECRET_KEY: optionalText,
    KLING_API_KEY: optionalText,
    KLING_DEFAULT_MODEL: z.string().default('kling-v2-5-turbo'),
    KLING_DEFAULT_IMAGE_MODEL: z.string().default('kling-v2-1'),
    DISCORD_TOKEN: optionalText,
    DISCORD_APPLICATION_ID: optionalText,
    DISCORD_GUILD_IDS: csv,
    DISCORD_API_URL: url('https://discord.com/api'),
    SLACK_BOT_TOKEN: optionalText,
    SLACK_SIGNING_SECRET: optionalText,
    SLACK_APP_TOKEN: optionalText,
    SLACK_API_URL: url('https://slack.com/api/'),
    PORT: z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535, 'must be at most 65535').default(3000),
    PUBLIC_URL: z.preprocess((v) => (v === '' ? undefined : v), httpUrl().optional()),
    STORE_URL: z
      .string()
      .default('sqlite://data/kling-bot.sqlite')
      .refine((v) => /^(sqlite|redis|rediss|memory):\/\//.test(v), 'must start with sqlite://, redis:// or memory://'),
    POLL_INTERVAL_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(10, 'must be at least 10').default(5000),
    USER_MAX_ACTIVE_TASKS: count(2),
    USER_MAX_DAILY_TASKS: count(20),
    GUILD_MAX_DAILY_TASKS: count(0),
    ALLOWED_ROLE_IDS: csv,
    ALLOWED_CHANNEL_IDS: csv,
    ADMIN_USER_IDS: csv,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((env, ctx) => {
    const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (!env.KLING_API_KEY) {
      if (!env.KLING_ACCESS_KEY) problem('KLING_ACCESS_KEY', 'required (or set KLING_API_KEY for a gateway)');
      if (!env.KLING_SECRET_KEY) problem('KLING_SECRET_KEY', 'required (or set KLING_API_KEY for a gateway)');
    }
    if (env.DISCORD_TOKEN && !env.DISCORD_APPLICATION_ID) problem('DISCORD_APPLICATION_ID', 'required when DISCORD_TOKEN is set');
    if (env.DISCORD_APPLICATION_ID && !env.DISCORD_TOKEN) problem('DISCORD_TOKEN', 'required when DISCORD_APPLICATION_ID is set');
    if (env.SLACK_BOT_TOKEN && !env.SLACK_SIGNING_SECRET) problem('SLACK_SIGNING_SECRET', 'required when SLACK_BOT_TOKEN is set');
    if (env.SLACK_SIGNING_SECRET && !env.SLACK_BOT_TOKEN) problem('SLACK_BOT_TOKEN', 'required when SLACK_SIGNING_SECRET is set');
    // Run even when another variable is bad, so every problem is reported at once.
  }, { when: (payload) => typeof payload.value === 'object' && payload.value !== null });

export type Env = z.infer<typeof EnvSchema>;

/** The variables whose values must never appear in a message, a log line or an error. */
export const SECRET_VARS = ['KLING_ACCESS_KEY', 'KLING_SECRET_KEY', 'KLING_API_KEY', 'DISCORD_TOKEN', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN'] as const;

/** Their values (long enough to be worth scrubbing), from any environment-like record. */
export const secretValues = (source: Partial<Record<(typeof SECRET_VARS)[number], string | undefined>>): string[] =>
  SECRET_VARS.map((name) => source[name]).filter((v): v is string => typeof v === 'string' && v.length >= 6);

export type KlingAuth = { type: 'jwt'; accessKey: string; secretKey: string } | { type: 'bearer'; apiKey: string };

export interface Config {
  env: Env;
  kling: { baseUrl: string; auth: KlingAuth };
  discord?: { token: string; applicationId: string; guildIds: string[]; apiUrl: string };
  slack?: { botToken: string; signingSecret: string; appToken?: string; apiUrl: string };
  /** Every secret value, so the logger and error texts can scrub them. */
  secrets: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
  }
}

/** One line per problem, naming the variable; never echoes a value (it may be a secret). */
function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${String(issue.path[0] ?? 'environment')}: ${issue.message}`);
}

/** Validates the environment. `requirePlatform: false` serves the demo and the register script. */
export function loadConfig(source: NodeJS.ProcessEnv, options: { requirePlatform?: boolean } = {}): Config {
  const parsed = EnvSchema.safeParse(source);
  const problems = parsed.success ? [] : problemsOf(parsed.error);
  const given = (v: string | undefined) => Boolean(v?.trim());
  if (options.requirePlatform !== false && !given(source['DISCORD_TOKEN']) && !given(source['SLACK_BOT_TOKEN'])) {
    problems.push('DISCORD_TOKEN: no platform configured: set DISCORD_TOKEN + DISCORD_APPLICATION_ID and/or SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET');
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  return buildConfig(parsed.data);
}

function buildConfig(env: Env): Config {
  const auth: KlingAuth = env.KLING_API_KEY
    ? { type: 'bearer', apiKey: env.KLING_API_KEY }
    : { type: 'jwt', accessKey: env.KLING_ACCESS_KEY ?? '', secretKey: env.KLING_SECRET_KEY ?? '' };
  const config: Config = {
    env,
    kling: { baseUrl: env.KLING_API_BASE_URL.replace(/\/+$/, ''), auth },
    secrets: secretValues(env),
  };
  if (env.DISCORD_TOKEN && env.DISCORD_APPLICATION_ID) {
    config.discord = { token: env.DISCORD_TOKEN, applicationId: env.DISCORD_APPLICATION_ID, guildIds: env.DISCORD_GUILD_IDS, apiUrl: env.DISCORD_API_URL };
  }
  if (env.SLACK_BOT_TOKEN && env.SLACK_SIGNING_SECRET) {
    config.slack = { botToken: env.SLACK_BOT_TOKEN, signingSecret: env.SLACK_SIGNING_SECRET, appToken: env.SLACK_APP_TOKEN, apiUrl: env.SLACK_API_URL };
  }
  return config;
}

/**
 * `npm start` reads `.env` from the working directory (or KLINGBOT_ENV_FILE; `none` skips it).
 * Variables already set in the environment win over the file.
 */
export function loadEnvFile(source: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = source['KLINGBOT_ENV_FILE'] ?? '.env';
  if (path === 'none' || !existsSync(path)) return undefined;
  process.loadEnvFile(path);
  return path;
}
