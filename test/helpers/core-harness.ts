import { expect } from 'vitest';
import { Dispatcher } from '../../commands/dispatch.js';
import { loadConfig } from '../../src/config.js';
import { createCore, type Core } from '../../src/core.js';
import { CARD_BY_OUTBOX, type CommandIO, type Invocation } from '../../src/invocation.js';
import {
  startKlingSimulator,
  type KlingSimulator,
  type SimulatorOptions,
} from '../../tools/kling-simulator/simulator.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import type { PrivateView } from '../../src/render/view.js';
import type { Storage } from '../../src/store/storage.js';
import { pollUntil } from '../fakes/poll-until.js';
import { RecordingPort } from './core-port.js';
import type { JumpingClock } from './jumping-clock.js';

export const AK = 'core-access-key-4f1c';
export const SK = 'core-secret-key-9b7e2d';
export const API_KEY = 'core-gateway-key-77aa1c';

/** Resources a test opened; `closeAll` shuts them in reverse order. */
export class Cleanup {
  private readonly closers: Array<() => Promise<unknown>> = [];
  add(close: () => Promise<unknown>): void {
    this.closers.push(close);
  }
  async closeAll(): Promise<void> {
    while (this.closers.length > 0)
      await this.closers
        .pop()?.()
        .catch(() => undefined);
  }
}

export async function startSim(cleanup: Cleanup, opts: Partial<SimulatorOptions> = {}): Promise<KlingSimulator> {
  const sim = await startKlingSimulator({
    auth: { accessKey: AK, secretKey: SK },
    timing: { submittedMs: 50, processingMs: 150, jitter: 0 },
    ...opts,
  });
  cleanup.add(() => sim.close());
  return sim;
}

export function makeInv(
  over: { guildId?: string; channelId?: string; userId?: string; platform?: Invocation['platform'] } = {},
): Invocation {
  const userId = over.userId ?? 'u1';
  return {
    platform: over.platform ?? 'console',
    guildId: over.guildId ?? 'g1',
    channelId: over.channelId ?? 'c1',
    user: { id: userId, name: `user-${userId}`, roleIds: [] },
  };
}

export interface RecordingIO extends CommandIO {
  privates: PrivateView[];
}

/**
 * The command's side of an interaction: private replies are kept. It cannot carry the card (like
 * Slack), so the core posts it through the channel's outbox.
 */
export function makeIo(_port: RecordingPort, _inv: Invocation): RecordingIO {
  const privates: PrivateView[] = [];
  return {
    privates,
    card: CARD_BY_OUTBOX,
    replyPrivate: async (view) => {
      privates.push(view);
    },
  };
}

export interface CoreRig {
  core: Core;
  port: RecordingPort;
  /** The command layer over this core, as an adapter makes it. */
  dispatcher: Dispatcher;
}

/** A real core (memory store unless STORE_URL is given) against the simulator, with a recording port. */
export async function makeCore(
  cleanup: Cleanup,
  sim: Pick<KlingSimulator, 'url'>,
  env: Record<string, string> = {},
  port = new RecordingPort(),
  options: { start?: boolean; storage?: Storage; klingTimeoutMs?: number; outboxClock?: JumpingClock } = {},
): Promise<CoreRig> {
  const gateway = env['KLING_API_KEY'] !== undefined;
  const config = loadConfig(
    {
      KLING_API_BASE_URL: sim.url,
      ...(gateway ? {} : { KLING_ACCESS_KEY: AK, KLING_SECRET_KEY: SK }),
      STORE_URL: 'memory://',
      POLL_INTERVAL_MS: '30',
      USER_MAX_ACTIVE_TASKS: '0',
      USER_MAX_DAILY_TASKS: '0',
      LOG_LEVEL: 'silent',
      ...env,
    },
    { requirePlatform: false },
  );
  const core = await createCore(config, silentLogger, {
    metrics: new Metrics(),
    ...(options.storage ? { storage: options.storage } : {}),
    ...(options.klingTimeoutMs ? { klingTimeoutMs: options.klingTimeoutMs } : {}),
    ...(options.outboxClock ? { outboxClock: options.outboxClock } : {}),
  });
  cleanup.add(() => core.close());
  core.addPort(port);
  if (options.start !== false) await core.tracker.start();
  return { core, port, dispatcher: new Dispatcher(core.services, core.metrics) };
}

/** Polls `probe` until it returns something truthy; fails with `what` after `timeoutMs` of running time (pollUntil). */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 5000,
  everyMs = 10,
): Promise<T> {
  const truthy = async () => (await probe()) || undefined;
  return pollUntil(truthy, timeoutMs, () => new Error(`timed out after ${timeoutMs} ms waiting for ${what}`), everyMs);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The rule every test checks: one paid task at Kling per task of ours. */
export function expectOneCreateEach(sim: KlingSimulator, ids: readonly string[]): void {
  for (const id of ids) expect(sim.createsFor(id), `creates for ${id}`).toBe(1);
}

/** Waits until every id is final in the store and its card's last view shows that final state. */
export async function waitAllFinal(rig: CoreRig, ids: readonly string[], timeoutMs = 8000): Promise<void> {
  await waitFor(
    'every task final on its card',
    async () => {
      for (const id of ids) {
        const rec = await rig.core.store.get(id);
        if (!rec || (rec.state !== 'succeed' && rec.state !== 'failed')) return false;
        if (rig.port.lastView(id)?.state !== rec.state) return false;
      }
      return true;
    },
    timeoutMs,
  );
}

let commandUsers = 0;

/**
 * One command line through the dispatcher as a new user: the private refusal's text, if any, and
 * the id of the task whose card it posted.
 */
export async function runText(
  rig: CoreRig,
  command: string,
  text: string,
): Promise<{ refused: string | undefined; taskId: string }> {
  const inv = makeInv({ userId: `cmd-user-${commandUsers++}` });
  const io = makeIo(rig.port, inv);
  const posted = rig.port.events.length;
  await rig.dispatcher.runCommand(command, text, inv, io);
  const refusal = io.privates.find((p) => p.kind === 'notice' && p.tone === 'error');
  const taskId = rig.port.events.slice(posted).find((e) => e.type === 'post')?.taskId ?? '';
  return { refused: refusal?.kind === 'notice' ? refusal.text : undefined, taskId };
}
