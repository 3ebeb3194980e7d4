import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { modelAllowed } from './kling/model-ids.js';
import type { CapabilityRow } from './kling/capabilities.js';
import { BUILT_IN, mergeRows, readModelsFile } from './kling/model-table.js';
import { blankIsUnset, count, csv, httpUrl, optionalText, textOr, url, wholeNumber } from './config-fields.js';

/** Timers above 2^31−1 ms fire after 1 ms in Node; an hour is already far slower than useful. */
export const MAX_POLL_INTERVAL_MS = 3_600_000;

/** The configuration contract (README, Configuration); names are fixed, operators rely on them. */
export const EnvSchema = z
  .object({
    KLING_API_BASE_URL: url('https://api-singapore.klingai.com'),
    KLING_ACCESS_KEY: optionalText,
    KLING_SECRET_KEY: optionalText,
    KLING_API_KEY: optionalText,
    KLING_API: z.preprocess(
      (v) => (typeof v === 'string' ? (v.trim() === '' ? undefined : v.trim().toLowerCase()) : v),
      z.enum(['auto', 'new', 'legacy'], { error: 'must be auto, new or legacy' }).default('auto'),
    ),
    KLING_MODELS_FILE: optionalText,
    /** Unset: chosen by the standard the credentials speak (see defaultVideoModel). */
    KLING_DEFAULT_MODEL: optionalText,
    KLING_DEFAULT_IMAGE_MODEL: textOr('kling-v2-1'),
    /** Reference images, edits, legacy storyboards; unset: the newest omni model in the table. */
    KLING_DEFAULT_OMNI_MODEL: optionalText,
    DISCORD_TOKEN: optionalText,
    DISCORD_APPLICATION_ID: optionalText,
    DISCORD_GUILD_IDS: csv,
    DISCORD_API_URL: url('https://discord.com/api'),
    SLACK_BOT_TOKEN: optionalText,
    SLACK_SIGNING_SECRET: optionalText,
    SLACK_APP_TOKEN: optionalText,
    SLACK_API_URL: url('https://slack.com/api/'),
    PORT: wholeNumber(
      z.coerce
        .number({ error: 'must be a port number' })
        .int('must be a port number')
        .min(0, 'must be a port number')
        .max(65535, 'must be at most 65535'),
      3000,
    ),
    PUBLIC_URL: z.preprocess((v) => (v === '' ? undefined : v), httpUrl().optional()),
    STORE_URL: z.preprocess(
      blankIsUnset,
      z
        .string()
        .default('sqlite://data/kling-bot.sqlite')
        .refine(
          (v) => /^(sqlite|redis|rediss|memory):\/\//.test(v),
          'must start with sqlite://, redis:// or memory://',
        ),
    ),
    POLL_INTERVAL_MS: wholeNumber(
      z.coerce
        .number({ error: 'must be a number of milliseconds' })
        .int('must be a whole number of milliseconds')
        .min(10, 'must be at least 10')
        .max(MAX_POLL_INTERVAL_MS, `must be at most ${MAX_POLL_INTERVAL_MS} (one hour)`),
      5000,
    ),
    USER_MAX_ACTIVE_TASKS: count(2),
    /** Result transfers (download + upload) at once; each holds at most one upload limit in memory. */
    MEDIA_CONCURRENCY: wholeNumber(
      z.coerce
        .number({ error: 'must be a number' })
        .int('must be a whole number')
        .min(1, 'must be at least 1')
        .max(16, 'must be at most 16'),
      2,
    ),
    USER_MAX_DAILY_TASKS: count(20),
    GUILD_MAX_DAILY_TASKS: count(0),
    USER_MAX_DAILY_UNITS: count(0),
    GUILD_MAX_DAILY_UNITS: count(0),
    MAX_DAILY_UNITS: count(0),
    ALLOWED_MODELS: csv,
    ALLOWED_ROLE_IDS: csv,
    ALLOWED_CHANNEL_IDS: csv,
    ADMIN_USER_IDS: csv,
    DISCORD_ADMIN_PERMISSION: z.preprocess(
      (v) => (typeof v === 'string' ? (v.trim() === '' ? undefined : v.trim().toLowerCase()) : v),
      z
        .enum(['administrator', 'manage_guild', 'none'], { error: 'must be administrator, manage_guild or none' })
        .default('administrator'),
    ),
    METRICS_TOKEN: optionalText,
    CALLBACK_TOKEN: optionalText.refine(
      (v) => v === undefined || /^[A-Za-z0-9_-]{16,128}$/.test(v),
      'must be 16 to 128 letters, digits, - or _ (it goes in a URL path)',
    ),
    LOG_LEVEL: z.preprocess(
      blankIsUnset,
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ),
  })
  .superRefine(
    (env, ctx) => {
      const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
      if (!env.KLING_API_KEY || env.KLING_ACCESS_KEY || env.KLING_SECRET_KEY) {
        const hint = env.KLING_API_KEY ? 'both keys of the pair, or neither' : 'or set KLING_API_KEY';
        if (!env.KLING_ACCESS_KEY) problem('KLING_ACCESS_KEY', `required (${hint})`);
        if (!env.KLING_SECRET_KEY) problem('KLING_SECRET_KEY', `required (${hint})`);
      }
      if (env.KLING_API === 'new' && !env.KLING_API_KEY)
        problem('KLING_API_KEY', "required with KLING_API=new: Kling's new API takes an API key only");
      if (env.DISCORD_TOKEN && !env.DISCORD_APPLICATION_ID)
        problem('DISCORD_APPLICATION_ID', 'required when DISCORD_TOKEN is set');
      if (env.DISCORD_APPLICATION_ID && !env.DISCORD_TOKEN)
        problem('DISCORD_TOKEN', 'required when DISCORD_APPLICATION_ID is set');
      if (env.SLACK_BOT_TOKEN && !env.SLACK_SIGNING_SECRET)
        problem('SLACK_SIGNING_SECRET', 'required when SLACK_BOT_TOKEN is set');
      if (env.SLACK_SIGNING_SECRET && !env.SLACK_BOT_TOKEN)
        problem('SLACK_BOT_TOKEN', 'required when SLACK_SIGNING_SECRET is set');
      for (const name of ['KLING_DEFAULT_MODEL', 'KLING_DEFAULT_IMAGE_MODEL', 'KLING_DEFAULT_OMNI_MODEL'] as const) {
        const model = name === 'KLING_DEFAULT_MODEL' ? (env[name] ?? defaultVideoModel(env)) : env[name];
        if (typeof model === 'string' && !modelAllowed(model, env.ALLOWED_MODELS ?? [], BUILT_IN))
          problem(
            'ALLOWED_MODELS',
            `must include the default model ${model} (${name}), or set ${name} to a listed one`,
          );
      }
      // Run even when another variable is bad, so every problem is reported at once.
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );

export type Env = z.infer<typeof EnvSchema>;

/** The variables whose values must never appear in a message, a log line or an error. */
export const SECRET_VARS = [
  'KLING_ACCESS_KEY',
  'KLING_SECRET_KEY',
  'KLING_API_KEY',
  'DISCORD_TOKEN',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'METRICS_TOKEN',
  'CALLBACK_TOKEN',
] as const;

/** The password in a store URL (`redis://:pw@host`, `redis://user:pw@host`), if any. */
export function storePassword(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const m = /^[a-z]+:\/\/[^/@]*:([^/@]+)@/i.exec(url);
  if (!m?.[1]) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}

/** Their values (long enough to be worth scrubbing), from any environment-like record, with the STORE_URL password. */
export const secretValues = (
  source: Partial<Record<(typeof SECRET_VARS)[number] | 'STORE_URL', string | undefined>>,
): string[] => {
  const password = storePassword(source.STORE_URL);
  const raw = password ? /^[a-z]+:\/\/[^/@]*:([^/@]+)@/i.exec(source.STORE_URL ?? '')?.[1] : undefined;
  return [...SECRET_VARS.map((name) => source[name]), password, raw].filter(
    (v, i, all): v is string => typeof v === 'string' && v.length >= 6 && all.indexOf(v) === i,
  );
};

export type KlingAuth = { type: 'jwt'; accessKey: string; secretKey: string } | { type: 'bearer'; apiKey: string };

/** What the operator configured: an API key, an access/secret pair, or both (issue 19). */
export interface KlingCredentials {
  apiKey?: string;
  pair?: { accessKey: string; secretKey: string };
}

export interface KlingConfig {
  baseUrl: string;
  /** The legacy standard's credential: the pair when there is one, else the key. */
  auth: KlingAuth;
  credentials: KlingCredentials;
  api: 'auto' | 'new' | 'legacy';
  /** The capability table in use: built-in rows with KLING_MODELS_FILE over them. */
  models: readonly CapabilityRow[];
}

/**
 * The default video model follows the standard the credentials speak: with an API key (and the new
 * standard allowed) Kling 3.0 Turbo, which exists only there and is the model Kling asks users to
 * move to; with only the access/secret pair, the legacy kling-v2-5-turbo.
 */
export function defaultVideoModel(env: Pick<Env, 'KLING_API_KEY' | 'KLING_API'>): string {
  return env.KLING_API_KEY && env.KLING_API !== 'legacy' ? 'kling-3.0-turbo' : 'kling-v2-5-turbo';
}

export interface Config {
  env: Env & { KLING_DEFAULT_MODEL: string };
  kling: KlingConfig;
  discord?: { token: string; applicationId: string; guildIds: string[]; apiUrl: string };
  slack?: { botToken: string; signingSecret: string; appToken?: string; apiUrl: string };
  /** The secret path segment of the Kling callback URL: CALLBACK_TOKEN, or derived from the Kling secret. */
  callbackToken: string;
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
    problems.push(
      'DISCORD_TOKEN: no platform configured: set DISCORD_TOKEN + DISCORD_APPLICATION_ID and/or SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET',
    );
  }
  const file =
    parsed.success && parsed.data.KLING_MODELS_FILE ? readModelsFile(parsed.data.KLING_MODELS_FILE) : undefined;
  if (file && 'problems' in file) problems.push(...file.problems.map((p) => `KLING_MODELS_FILE: ${p}`));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  return buildConfig(parsed.data, file && 'rows' in file ? mergeRows(BUILT_IN, file.rows) : BUILT_IN);
}

/**
 * Stable across restarts (derived from the Kling secret), so callbacks for older tasks still
 * match; CALLBACK_TOKEN replaces it, so it can be rotated without rotating the Kling keys.
 */
export function callbackTokenFor(auth: KlingAuth, configured?: string): string {
  if (configured) return configured;
  const secret = auth.type === 'jwt' ? auth.secretKey : auth.apiKey;
  return createHmac('sha256', secret).update('kling-bot callback').digest('base64url').slice(0, 32);
}

function buildConfig(parsedEnv: Env, models: readonly CapabilityRow[]): Config {
  const env = { ...parsedEnv, KLING_DEFAULT_MODEL: parsedEnv.KLING_DEFAULT_MODEL ?? defaultVideoModel(parsedEnv) };
  const pair =
    env.KLING_ACCESS_KEY && env.KLING_SECRET_KEY
      ? { accessKey: env.KLING_ACCESS_KEY, secretKey: env.KLING_SECRET_KEY }
      : undefined;
  const auth: KlingAuth = pair ? { type: 'jwt', ...pair } : { type: 'bearer', apiKey: env.KLING_API_KEY ?? '' };
  const callbackToken = callbackTokenFor(auth, env.CALLBACK_TOKEN);
  const credentials: KlingCredentials = {
    ...(env.KLING_API_KEY ? { apiKey: env.KLING_API_KEY } : {}),
    ...(pair ? { pair } : {}),
  };
  const config: Config = {
    env,
    kling: { baseUrl: env.KLING_API_BASE_URL.replace(/\/+$/, ''), auth, credentials, api: env.KLING_API, models },
    callbackToken,
    secrets: [...new Set([...secretValues(env), callbackToken])],
  };
  if (env.DISCORD_TOKEN && env.DISCORD_APPLICATION_ID) {
    config.discord = {
      token: env.DISCORD_TOKEN,
      applicationId: env.DISCORD_APPLICATION_ID,
      guildIds: env.DISCORD_GUILD_IDS,
      apiUrl: env.DISCORD_API_URL,
    };
  }
  if (env.SLACK_BOT_TOKEN && env.SLACK_SIGNING_SECRET) {
    config.slack = {
      botToken: env.SLACK_BOT_TOKEN,
      signingSecret: env.SLACK_SIGNING_SECRET,
      appToken: env.SLACK_APP_TOKEN,
      apiUrl: env.SLACK_API_URL,
    };
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
