/**
 * A bot process for the kill-and-resume tests: a real core on a sqlite STORE_URL, with a
 * recording port that appends every card post/edit as one JSON line to CHILD_OUT (written
 * synchronously, so a SIGKILL loses nothing already shown).
 *
 *   CHILD_MODE=submit  submits CHILD_N tasks, then runs until killed
 *   CHILD_MODE=extend  extends the finished task CHILD_PARENT (the card's Extend button), then runs until killed
 *   CHILD_MODE=resume  resumes what the store holds, exits 0 once every task is final
 */
import { appendFileSync } from 'node:fs';
import { Dispatcher } from '../../commands/dispatch.js';
import { CARD_BY_OUTBOX, type CommandIO, type Invocation } from '../../src/invocation.js';
import { loadConfig } from '../../src/config.js';
import { createCore } from '../../src/core.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { RecordingPort, type CardEvent } from './core-port.js';

export interface ChildLine {
  type: 'post' | 'edit' | 'submitted' | 'resumed' | 'done';
  taskId?: string;
  state?: string;
  urls?: string[];
  count?: number;
  at: number;
}

const env = process.env;
const out = env['CHILD_OUT'] ?? '';
const write = (line: ChildLine) => appendFileSync(out, `${JSON.stringify(line)}\n`);

/** Writes each card event to the file as it happens. */
class FilePort extends RecordingPort {
  protected override onEvent(event: CardEvent): void {
    write({
      type: event.type,
      taskId: event.taskId,
      state: event.view.state,
      urls: event.view.media.map((m) => m.url),
      at: event.at,
    });
  }
}

const config = loadConfig(
  {
    KLING_API_BASE_URL: env['CHILD_SIM_URL'],
    KLING_ACCESS_KEY: env['CHILD_AK'],
    KLING_SECRET_KEY: env['CHILD_SK'],
    STORE_URL: env['CHILD_STORE_URL'],
    POLL_INTERVAL_MS: '30',
    USER_MAX_ACTIVE_TASKS: '0',
    USER_MAX_DAILY_TASKS: '0',
  },
  { requirePlatform: false },
);
const core = await createCore(config, silentLogger, { metrics: new Metrics() });
const port = new FilePort();
core.addPort(port);
const resumed = await core.tracker.start();
write({ type: 'resumed', count: resumed, at: Date.now() });

if (env['CHILD_MODE'] === 'extend') {
  // Extends the finished task CHILD_PARENT (as its card's Extend button does), then runs until killed.
  const inv: Invocation = {
    platform: 'console',
    guildId: 'g1',
    channelId: 'c1',
    user: { id: 'u0', name: 'user 0', roleIds: [] },
  };
  const io: CommandIO = { card: CARD_BY_OUTBOX, replyPrivate: async () => undefined };
  await new Dispatcher(core.services, core.metrics).runButton(`kb:x:${env['CHILD_PARENT'] ?? ''}`, inv, io);
  setInterval(() => undefined, 1000);
} else if (env['CHILD_MODE'] === 'submit') {
  const n = Number(env['CHILD_N'] ?? '1');
  for (let i = 0; i < n; i++) {
    const inv: Invocation = {
      platform: 'console',
      guildId: 'g1',
      channelId: 'c1',
      user: { id: `u${i}`, name: `user ${i}`, roleIds: [] },
    };
    // Like Slack: the interaction cannot carry the card, so the core posts it through the outbox.
    const io: CommandIO = { card: CARD_BY_OUTBOX, replyPrivate: async () => undefined };
    const rec = await core.services.tasks.submit(inv, io, {
      kind: 'text2video',
      prompt: `${env['CHILD_PROMPT'] ?? 'task'} ${i}`,
      model: 'kling-v1',
      mode: 'std',
      duration: '5',
      aspect_ratio: '16:9',
    });
    write({ type: 'submitted', taskId: rec.id, at: Date.now() });
  }
  // The tracker's timer does not hold the process open; this does, until the test kills us.
  setInterval(() => undefined, 1000);
} else {
  while (core.tracker.liveCount() > 0) await new Promise((r) => setTimeout(r, 20));
  await core.close();
  write({ type: 'done', at: Date.now() });
  process.exit(0);
}
