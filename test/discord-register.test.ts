/**
 * `npm run register` (src/platforms/discord/register.ts) as an operator runs it: REST only, per
 * guild or global, and a clear line when Discord settings are missing.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slashCommands } from '../src/platforms/discord/commands.js';
import type { FakeDiscord } from './fakes/discord/index.js';
import { APP_ID, GUILD_A, GUILD_B, REPO_ROOT, SECRETS, startFake } from './helpers/discord-harness.js';

let fake: FakeDiscord;

beforeAll(async () => {
  fake = await startFake();
});
afterAll(async () => {
  await fake.close();
});

function register(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/platforms/discord/register.ts'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env['PATH'] ?? '', KLINGBOT_ENV_FILE: 'none', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    proc.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    proc.on('error', reject);
    proc.on('exit', (code) => resolve({ code, out }));
  });
}

const names = slashCommands()
  .map((c) => c.name)
  .sort();
const namesIn = (guildId?: string) =>
  fake
    .commands(guildId ? { guildId } : {})
    .map((c) => (c && typeof c === 'object' && 'name' in c ? c.name : ''))
    .sort();

describe('npm run register', () => {
  it('registers per guild over REST only, without Kling keys, and says what it did', async () => {
    const gatewayBefore = fake.gatewayLog.length;
    const { code, out } = await register({
      DISCORD_TOKEN: SECRETS.botToken,
      DISCORD_APPLICATION_ID: APP_ID,
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_GUILD_IDS: `${GUILD_A},${GUILD_B}`,
    });
    expect(code, out).toBe(0);
    expect(out).toContain(`registered ${names.length} commands`);
    expect(out).toContain(`guild ${GUILD_A}`);
    expect(namesIn(GUILD_A)).toEqual(names);
    expect(namesIn(GUILD_B)).toEqual(names);
    expect(fake.gatewayLog.length).toBe(gatewayBefore);
    expect(out).not.toContain(SECRETS.botToken);
    // The invite link asks for Attach Files too (1024 + 2048 + 16384 + 32768 + 65536), uploads need it.
    expect(out).toContain(
      `https://discord.com/oauth2/authorize?client_id=${APP_ID}&scope=bot%20applications.commands&permissions=117760`,
    );
  });

  it('registers globally when no guilds are listed', async () => {
    const { code, out } = await register({
      DISCORD_TOKEN: SECRETS.botToken,
      DISCORD_APPLICATION_ID: APP_ID,
      DISCORD_API_URL: fake.apiUrl,
    });
    expect(code, out).toBe(0);
    expect(out).toContain('globally');
    expect(namesIn()).toEqual(names);
  });

  it('with guilds listed after a global registration, removes the stale global commands', async () => {
    await register({ DISCORD_TOKEN: SECRETS.botToken, DISCORD_APPLICATION_ID: APP_ID, DISCORD_API_URL: fake.apiUrl });
    expect(namesIn()).toEqual(names);
    const { code, out } = await register({
      DISCORD_TOKEN: SECRETS.botToken,
      DISCORD_APPLICATION_ID: APP_ID,
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_GUILD_IDS: GUILD_A,
    });
    expect(code, out).toBe(0);
    expect(out).toContain(`removed ${names.length} global commands left from an earlier global registration`);
    expect(namesIn()).toEqual([]);
    expect(namesIn(GUILD_A)).toEqual(names);
  });

  it('refuses with one clear line without Discord settings, and names Discord’s refusal of a bad token', async () => {
    const missing = await register({ DISCORD_API_URL: fake.apiUrl });
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/set DISCORD_TOKEN and DISCORD_APPLICATION_ID/);
    const bad = await register({
      DISCORD_TOKEN: 'MTIzNDU2Nzg5MDEyMzQ1Njc4.wrong.token-value',
      DISCORD_APPLICATION_ID: APP_ID,
      DISCORD_API_URL: fake.apiUrl,
    });
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/registration failed: .*(401|Unauthorized)/);
    expect(bad.out).not.toContain('wrong.token-value');
  });
});
