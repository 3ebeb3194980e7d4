import { createInterface } from 'node:readline';
import { Dispatcher } from '../commands/dispatch.js';
import { loadConfig } from '../src/config.js';
import { createCore } from '../src/core.js';
import { CARD_BY_OUTBOX, type CommandIO, type Invocation } from '../src/invocation.js';
import { createLogger } from '../src/log.js';
import { Metrics } from '../src/metrics.js';
import { ConsolePort } from '../src/platforms/console/console-port.js';
import { startKlingSimulator } from './kling-simulator/simulator.js';

/**
 * `npm run demo`: a terminal playground, zero config. Type the same slash commands as on
 * Discord or Slack; the bundled Kling simulator answers. Reads stdin line by line and exits
 * once input has ended and every task is final.
 */
async function demo(): Promise<void> {
  const out = (text: string): void => {
    process.stdout.write(text);
  };
  const keys = { accessKey: 'demo-access-key', secretKey: 'demo-secret-key' };
  const sim = await startKlingSimulator({ auth: keys, timing: { submittedMs: 800, processingMs: 3000, jitter: 0.3 } });
  const config = loadConfig(
    {
      KLING_API_BASE_URL: sim.url,
      KLING_ACCESS_KEY: keys.accessKey,
      KLING_SECRET_KEY: keys.secretKey,
      STORE_URL: 'memory://',
      POLL_INTERVAL_MS: process.env.POLL_INTERVAL_MS ?? '400',
      USER_MAX_ACTIVE_TASKS: '0',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    },
    { requirePlatform: false },
  );
  const log = createLogger({ level: config.env.LOG_LEVEL, secrets: config.secrets, out: process.stderr });
  const core = await createCore(config, log, { metrics: new Metrics() });
  const port = new ConsolePort(out);
  core.addPort(port);
  await core.tracker.start();

  const inv: Invocation = {
    platform: 'console',
    guildId: 'playground',
    channelId: 'terminal',
    user: { id: 'you', name: 'you', roleIds: [] },
  };
  const scope = {
    platform: 'console',
    guildId: inv.guildId,
    channelId: inv.channelId,
    userId: inv.user.id,
    userName: inv.user.name,
  } as const;
  // Private answers take the same way out as the cards: the channel's outbox, then the port.
  const io: CommandIO = {
    card: CARD_BY_OUTBOX,
    replyPrivate: async (view) => core.outboxes.for(scope)?.send(scope, 1, (p) => p.replyPrivate({}, view, scope)),
  };
  const dispatcher = new Dispatcher(core.services, core.metrics);
  out('kling-bot playground: type /video, /animate, /image, /task, /tasks or /quota (Ctrl-D to finish)\n');

  const pending: Array<Promise<void>> = [];
  const lines = createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    const m = /^\s*\/(\w+)\s*(.*)$/.exec(line);
    if (!m) {
      if (line.trim()) out('Commands start with a slash, e.g. /video a red fox running through snow --ar 9:16\n');
      continue;
    }
    // Each command runs after the previous one was accepted, like a user typing them in turn.
    const run = dispatcher.runCommand(m[1] ?? '', m[2] ?? '', inv, io);
    pending.push(run);
    await run;
  }
  await Promise.all(pending);
  while (core.tracker.liveCount() > 0) await new Promise((r) => setTimeout(r, 100));
  await core.close();
  await sim.close();
  out('\nAll tasks are final. Bye.\n');
}

await demo();
