/**
 * `npm run register`: registers the slash commands over REST only (no gateway connection), per
 * guild when DISCORD_GUILD_IDS is set (instant) or globally (may take up to an hour to appear).
 */
import { REST } from 'discord.js';
import { ConfigError, loadConfig, loadEnvFile } from '../../config.js';
import { registerCommands, slashCommands } from './commands.js';
import { inviteUrl } from './invite.js';
import { messageOf } from '../../error-fields.js';

const out = (line: string) => process.stdout.write(`${line}\n`);
const fail = (line: string): never => {
  process.stderr.write(`${line}\n`);
  process.exit(1);
};

async function main(): Promise<void> {
  loadEnvFile();
  const env = process.env;
  // Registering never calls Kling; an operator should not need its keys just for this.
  const hasKling = Boolean(env['KLING_API_KEY'] || (env['KLING_ACCESS_KEY'] && env['KLING_SECRET_KEY']));
  let config;
  try {
    config = loadConfig(hasKling ? env : { ...env, KLING_API_KEY: 'not-needed-to-register' }, {
      requirePlatform: false,
    });
  } catch (err) {
    if (err instanceof ConfigError)
      fail(`cannot register; fix these settings:\n${err.problems.map((p) => `  ${p}`).join('\n')}`);
    throw err;
  }
  const discord = config.discord;
  if (!discord)
    return fail('cannot register: set DISCORD_TOKEN and DISCORD_APPLICATION_ID (from the Discord developer portal)');
  const rest = new REST({ api: discord.apiUrl }).setToken(discord.token);
  const names = slashCommands().map((c) => `/${c.name}`);
  try {
    const done = await registerCommands(rest, discord.applicationId, discord.guildIds);
    for (const { scope, count, removed } of done)
      if (removed) out(`removed ${removed} global commands left from an earlier global registration`);
      else
        out(
          `registered ${count} commands (${names.join(', ')}) ${scope === 'global' ? 'globally (Discord may take up to an hour to show changes)' : `in ${scope}`}`,
        );
    out(`invite link (Attach Files included, for uploads): ${inviteUrl(discord.applicationId)}`);
  } catch (err) {
    // discord.js error texts carry no token; the config's secrets are scrubbed anyway.
    let text = messageOf(err);
    for (const secret of config.secrets) text = text.split(secret).join('[redacted]');
    fail(`registration failed: ${text}`);
  } finally {
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
  }
}

await main();
