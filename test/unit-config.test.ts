import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

function problemsOf(
  env: NodeJS.ProcessEnv,
  options?: { requirePlatform?: boolean },
): { problems: string[]; message: string } {
  try {
    loadConfig(env, options);
  } catch (err) {
    if (err instanceof ConfigError) return { problems: err.problems, message: err.message };
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** The variable each problem line names (the text before the first colon). */
const named = (problems: readonly string[]) => problems.map((p) => /^([A-Z_]+): \S/.exec(p)?.[1] ?? `unnamed: ${p}`);

const KEYS = { KLING_ACCESS_KEY: 'ak-12345678', KLING_SECRET_KEY: 'sk-12345678' };

describe('loadConfig', () => {
  it('no Kling credentials and no platform: one line per problem, each naming its variable', () => {
    const { problems, message } = problemsOf({});
    expect(named(problems).sort()).toEqual(['DISCORD_TOKEN', 'KLING_ACCESS_KEY', 'KLING_SECRET_KEY']);
    expect(problems.find((p) => p.startsWith('DISCORD_TOKEN'))).toMatch(/SLACK_BOT_TOKEN/);
    expect(message.split('\n').slice(1)).toEqual(problems);
  });

  it('a bad value does not hide the other problems', () => {
    const { problems } = problemsOf({ PORT: 'abc' });
    expect(named(problems).sort()).toEqual(['DISCORD_TOKEN', 'KLING_ACCESS_KEY', 'KLING_SECRET_KEY', 'PORT']);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['POLL_INTERVAL_MS', 'fast'],
    ['POLL_INTERVAL_MS', '5'],
    ['STORE_URL', 'postgres://db/kling'],
    ['USER_MAX_DAILY_TASKS', '-1'],
    ['KLING_API_BASE_URL', 'not a url'],
    ['LOG_LEVEL', 'loud'],
  ])('%s=%s is named', (name, value) => {
    const { problems } = problemsOf({ ...KEYS, [name]: value }, { requirePlatform: false });
    expect(named(problems)).toEqual([name]);
  });

  it('half-configured platforms name the missing partner', () => {
    const { problems } = problemsOf({ ...KEYS, DISCORD_TOKEN: 'tok-abcdef', SLACK_SIGNING_SECRET: 'sig-abcdef' });
    expect(named(problems).sort()).toEqual(['DISCORD_APPLICATION_ID', 'SLACK_BOT_TOKEN']);
  });

  it('never echoes a value, even a secret pasted into the wrong variable', () => {
    const secrets = [
      'xoxb-111-222-SECRETTOKEN',
      'sk-live-PORTSECRET-998877',
      'hunter2-loglevel-secret',
      'MTA5ODc2NTQzMjE.secret.token',
      'sig-secret-5566778899',
    ];
    const { problems, message } = problemsOf({
      PUBLIC_URL: secrets[0],
      PORT: secrets[1],
      LOG_LEVEL: secrets[2],
      DISCORD_TOKEN: secrets[3],
      SLACK_SIGNING_SECRET: secrets[4],
      KLING_SECRET_KEY: 'sk-kling-SECRET-000111',
    });
    expect(named(problems).sort()).toEqual([
      'DISCORD_APPLICATION_ID',
      'KLING_ACCESS_KEY',
      'LOG_LEVEL',
      'PORT',
      'PUBLIC_URL',
      'SLACK_BOT_TOKEN',
    ]);
    for (const s of [...secrets, 'sk-kling-SECRET-000111']) expect(message).not.toContain(s);
  });

  it('a good environment: defaults, JWT or Bearer auth, platforms, and every secret listed for scrubbing', () => {
    const jwt = loadConfig({
      ...KEYS,
      SLACK_BOT_TOKEN: 'xoxb-slack-token',
      SLACK_SIGNING_SECRET: 'slack-signing-secret',
      KLING_API_BASE_URL: 'http://127.0.0.1:9/kling/',
    });
    expect(jwt.kling).toMatchObject({
      baseUrl: 'http://127.0.0.1:9/kling',
      auth: { type: 'jwt', accessKey: KEYS.KLING_ACCESS_KEY, secretKey: KEYS.KLING_SECRET_KEY },
      credentials: { pair: { accessKey: KEYS.KLING_ACCESS_KEY, secretKey: KEYS.KLING_SECRET_KEY } },
      api: 'auto',
    });
    expect(jwt.kling.credentials.apiKey).toBeUndefined();
    expect(jwt.env).toMatchObject({
      PORT: 3000,
      POLL_INTERVAL_MS: 5000,
      STORE_URL: 'sqlite://data/kling-bot.sqlite',
      USER_MAX_ACTIVE_TASKS: 2,
      USER_MAX_DAILY_TASKS: 20,
      GUILD_MAX_DAILY_TASKS: 0,
    });
    expect(jwt.slack).toMatchObject({ botToken: 'xoxb-slack-token', signingSecret: 'slack-signing-secret' });
    expect(jwt.discord).toBeUndefined();
    expect(jwt.secrets).toEqual(
      expect.arrayContaining([
        KEYS.KLING_ACCESS_KEY,
        KEYS.KLING_SECRET_KEY,
        'xoxb-slack-token',
        'slack-signing-secret',
      ]),
    );

    const gw = loadConfig(
      { KLING_API_KEY: 'gateway-key-1', PORT: '0', POLL_INTERVAL_MS: '20', STORE_URL: 'memory://' },
      { requirePlatform: false },
    );
    expect(gw.kling.auth).toEqual({ type: 'bearer', apiKey: 'gateway-key-1' });
    expect(gw.env).toMatchObject({ PORT: 0, POLL_INTERVAL_MS: 20, STORE_URL: 'memory://' });
  });
});

describe('blank, oversized and new variables', () => {
  it('GIVEN numeric variables set to nothing THEN each takes its default (a blank limit is not 0 = unlimited, a blank PORT is not a random port)', () => {
    const env = loadConfig(
      {
        ...KEYS,
        PORT: '',
        POLL_INTERVAL_MS: ' ',
        USER_MAX_ACTIVE_TASKS: '',
        USER_MAX_DAILY_TASKS: '',
        GUILD_MAX_DAILY_TASKS: '',
      },
      { requirePlatform: false },
    ).env;
    expect(env).toMatchObject({
      PORT: 3000,
      POLL_INTERVAL_MS: 5000,
      USER_MAX_ACTIVE_TASKS: 2,
      USER_MAX_DAILY_TASKS: 20,
      GUILD_MAX_DAILY_TASKS: 0,
    });
    // Every other variable with a default too.
    expect(
      loadConfig(
        {
          ...KEYS,
          STORE_URL: '',
          KLING_API_BASE_URL: '',
          DISCORD_API_URL: ' ',
          SLACK_API_URL: '',
          LOG_LEVEL: '',
          KLING_DEFAULT_MODEL: '',
        },
        { requirePlatform: false },
      ).env,
    ).toMatchObject({
      STORE_URL: 'sqlite://data/kling-bot.sqlite',
      KLING_API_BASE_URL: 'https://api-singapore.klingai.com',
      DISCORD_API_URL: 'https://discord.com/api',
      SLACK_API_URL: 'https://slack.com/api/',
      LOG_LEVEL: 'info',
    });
    // 0 written out still means unlimited: only blank is "unset".
    expect(
      loadConfig({ ...KEYS, USER_MAX_DAILY_TASKS: '0' }, { requirePlatform: false }).env.USER_MAX_DAILY_TASKS,
    ).toBe(0);
  });

  it.each(['2147483648', '3600001', '1e12'])(
    'GIVEN POLL_INTERVAL_MS=%s (a timer Node would fire after 1 ms) THEN start-up names it',
    (value) => {
      const { problems } = problemsOf({ ...KEYS, POLL_INTERVAL_MS: value }, { requirePlatform: false });
      expect(problems).toEqual([expect.stringMatching(/^POLL_INTERVAL_MS: must be at most 3600000/)]);
    },
  );

  it('DISCORD_ADMIN_PERMISSION: administrator by default, manage_guild or none accepted, anything else named', () => {
    expect(loadConfig(KEYS, { requirePlatform: false }).env.DISCORD_ADMIN_PERMISSION).toBe('administrator');
    expect(
      loadConfig({ ...KEYS, DISCORD_ADMIN_PERMISSION: '' }, { requirePlatform: false }).env.DISCORD_ADMIN_PERMISSION,
    ).toBe('administrator');
    expect(
      loadConfig({ ...KEYS, DISCORD_ADMIN_PERMISSION: 'Manage_Guild' }, { requirePlatform: false }).env
        .DISCORD_ADMIN_PERMISSION,
    ).toBe('manage_guild');
    expect(
      loadConfig({ ...KEYS, DISCORD_ADMIN_PERMISSION: 'none' }, { requirePlatform: false }).env
        .DISCORD_ADMIN_PERMISSION,
    ).toBe('none');
    expect(
      named(problemsOf({ ...KEYS, DISCORD_ADMIN_PERMISSION: 'owner' }, { requirePlatform: false }).problems),
    ).toEqual(['DISCORD_ADMIN_PERMISSION']);
  });

  it('CALLBACK_TOKEN replaces the token derived from the Kling secret; METRICS_TOKEN, CALLBACK_TOKEN, the derived token and the STORE_URL password are all scrubbed', () => {
    const derived = loadConfig(KEYS, { requirePlatform: false });
    expect(derived.callbackToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(derived.secrets).toContain(derived.callbackToken);
    const set = loadConfig(
      {
        ...KEYS,
        CALLBACK_TOKEN: 'cb-rotated-token-0001',
        METRICS_TOKEN: 'metrics-bearer-77',
        STORE_URL: 'redis://bot:p%40ss-word-9@redis:6379',
      },
      { requirePlatform: false },
    );
    expect(set.callbackToken).toBe('cb-rotated-token-0001');
    expect(set.secrets).toEqual(
      expect.arrayContaining(['cb-rotated-token-0001', 'metrics-bearer-77', 'p@ss-word-9', 'p%40ss-word-9']),
    );
    expect(named(problemsOf({ ...KEYS, CALLBACK_TOKEN: 'short' }, { requirePlatform: false }).problems)).toEqual([
      'CALLBACK_TOKEN',
    ]);
  });
});

async function runMain(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: process.cwd(),
    env: { KLINGBOT_ENV_FILE: 'none', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

const baseEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env['PATH'], HOME: process.env['HOME'] });
const problemLines = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => /^\s+[A-Z_]+: /.test(l))
    .map((l) => l.trim().split(':')[0]);

describe.concurrent('npm start with a bad environment', () => {
  it('an empty environment stops start-up with one line per problem', async () => {
    const { code, stderr } = await runMain(baseEnv());
    expect(code).not.toBe(0);
    expect(problemLines(stderr).sort()).toEqual(['DISCORD_TOKEN', 'KLING_ACCESS_KEY', 'KLING_SECRET_KEY']);
  });

  it('reads .env (KLINGBOT_ENV_FILE), and a variable set in the environment wins over the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kb-env-'));
    const file = join(dir, '.env');
    writeFileSync(
      file,
      'KLING_ACCESS_KEY=ak-from-file-123456\nKLING_SECRET_KEY=sk-from-file-123456\nPORT=not-a-port\nPOLL_INTERVAL_MS=5\n',
    );
    const { code, stderr } = await runMain({ ...baseEnv(), KLINGBOT_ENV_FILE: file, POLL_INTERVAL_MS: '1000' });
    expect(code).not.toBe(0);
    // Keys came from the file (no Kling lines), PORT's bad value too; POLL_INTERVAL_MS from the environment is fine.
    expect(problemLines(stderr).sort()).toEqual(['DISCORD_TOKEN', 'PORT']);
    expect(stderr).not.toContain('sk-from-file-123456');
  });

  it('secret-looking values are never printed', async () => {
    const secrets = {
      KLING_SECRET_KEY: 'sk-live-KLINGSECRET-123456',
      PORT: 'sk-live-PORTSECRET-654321',
      SLACK_SIGNING_SECRET: 'slack-sign-SECRET-777888',
    };
    const { code, stdout, stderr } = await runMain({ ...baseEnv(), ...secrets });
    expect(code).not.toBe(0);
    expect(problemLines(stderr).sort()).toEqual(['DISCORD_TOKEN', 'KLING_ACCESS_KEY', 'PORT', 'SLACK_BOT_TOKEN']);
    for (const value of Object.values(secrets)) {
      expect(stderr).not.toContain(value);
      expect(stdout).not.toContain(value);
    }
  });
});
