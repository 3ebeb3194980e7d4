import './v8-flags.js';
import * as nodeModule from 'node:module';
import { ConfigError, loadConfig, loadEnvFile, secretValues } from './config.js';
import { createCore } from './core.js';
import { HttpServer } from './http.js';
import { createLogger } from './log.js';
import type { PlatformAdapter } from './platforms/types.js';
import { messageOf } from './error-fields.js';

const SHUTDOWN_DEADLINE_MS = 5000;

/** `npm start`: validate config, start the core, every configured platform, HTTP, the tracker. */
async function main(): Promise<void> {
  // Node 22.1+: V8 keeps the compiled code of what loads next (discord.js, Bolt) on disk, so every
  // start after the first skips most of the compiling. Older Nodes lack it and start as before.
  const enableCompileCache: unknown = Reflect.get(nodeModule, 'enableCompileCache');
  if (typeof enableCompileCache === 'function') enableCompileCache();
  let config;
  try {
    loadEnvFile();
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(
        `kling-bot cannot start; fix these settings (see .env.example):\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`,
      );
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger({ level: config.env.LOG_LEVEL, secrets: config.secrets });
  // discord.js and Bolt load (most of start-up) while the store opens, and the two platforms
  // connect at the same time rather than one after the other.
  const discordModule = config.discord ? import('./platforms/discord/index.js') : undefined;
  const slackModule = config.slack ? import('./platforms/slack/index.js') : undefined;
  // A failed import surfaces where it is awaited; until then it must not count as unhandled.
  void discordModule?.catch(() => undefined);
  void slackModule?.catch(() => undefined);
  const core = await createCore(config, log);
  const http = new HttpServer(core);
  const { discord, slack } = config;
  const started = await Promise.all([
    discord && discordModule ? discordModule.then(({ startDiscord }) => startDiscord(core, discord, http)) : undefined,
    slack && slackModule ? slackModule.then(({ startSlack }) => startSlack(core, slack, http)) : undefined,
  ]);
  const adapters: PlatformAdapter[] = started.filter((a): a is PlatformAdapter => a !== undefined);
  const port = await http.listen(config.env.PORT);
  const resumed = await core.tracker.start();
  log.info({ port, platforms: adapters.map((a) => a.port.platform), resumed }, 'kling-bot is running');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS + 2000);
    force.unref();
    http.stopAccepting();
    await Promise.allSettled(adapters.map((a) => a.stop()));
    await core.close();
    await http.close();
    log.info('stopped cleanly');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
}

main().catch((err: unknown) => {
  // Start-up failures (a rejected bot token, a port in use) end with one line, never a stack of secrets.
  let text = messageOf(err);
  for (const value of secretValues(process.env)) text = text.split(value).join('[redacted]');
  process.stderr.write(`kling-bot could not start: ${text}\n`);
  process.exit(1);
});
