/**
 * The "outside world" of bench/discord-ack.ts — the fake Discord and the Kling simulator — run in
 * a worker thread, so the bot's event loop is measured on its own, as it is in production where
 * Discord is another machine. Driven by messages from the bench (see PeerMessage).
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { Client, Events, GatewayIntentBits, Routes } from 'discord.js';
import { z } from 'zod';
import { startKlingSimulator } from '../../tools/kling-simulator/simulator.js';
import { startFakeDiscord, type FakeDiscord, type InteractionRecord } from '../fakes/discord/index.js';

export const PeerSetup = z.object({
  botToken: z.string(),
  applicationId: z.string(),
  guildId: z.string(),
  channels: z.array(z.string()).min(1),
  userIds: z.array(z.string()),
  accessKey: z.string(),
  secretKey: z.string(),
  /** A Kling simulator running elsewhere (bench/burst.ts: its own process); else one is started in this thread. */
  simUrl: z.string().optional(),
});
export type PeerSetup = z.infer<typeof PeerSetup>;

/**
 * bench → peer; a burst sends one /video from each of `userIds[from..from+count)`, all at once or spread evenly
 * over `spreadMs`; `settle: false` reports the acks without waiting for the cards to be edited.
 */
export const PeerCommand = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('burst'),
    from: z.number().int().min(0),
    count: z.number().int().min(1),
    spreadMs: z.number().min(0).optional(),
    settle: z.boolean().optional(),
  }),
  z.object({ type: z.literal('close') }),
]);
export type PeerCommand = z.infer<typeof PeerCommand>;
/** peer → bench */
export const PeerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), apiUrl: z.string(), simUrl: z.string() }),
  /** Each command's dispatch → first callback, and the callback's type (4: the answer itself, 5: "thinking…"). */
  z.object({
    type: z.literal('acks'),
    latencies: z.array(z.number()),
    types: z.array(z.number()).optional(),
    /** The share of the burst this thread was busy (0..1): near 1, the fake itself is the queue. */
    utilization: z.number().optional(),
  }),
  z.object({ type: z.literal('settled') }),
  z.object({ type: z.literal('closed') }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type PeerMessage = z.infer<typeof PeerMessage>;

/** A burst: one /video from each of the given users, all dispatched (over `spreadMs`) before any is awaited. */
async function burst(
  fake: FakeDiscord,
  setup: PeerSetup,
  users: readonly string[],
  spreadMs = 0,
): Promise<InteractionRecord[]> {
  await fake.waitForReady();
  const pending: Array<Promise<InteractionRecord>> = [];
  const start = Date.now();
  for (const [i, id] of users.entries()) {
    const due = start + (i * spreadMs) / users.length;
    if (due > Date.now() + 1) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    pending.push(
      fake.sendCommand({
        guildId: setup.guildId,
        channelId: setup.channels[i % setup.channels.length] ?? '',
        user: { id, username: `user${i}` },
        name: 'video',
        options: [{ name: 'prompt', type: 3, value: `benchmark scene ${i}` }],
      }),
    );
    // Real Discord dispatches and receives callbacks independently; yielding now and then lets
    // this one-thread fake take callbacks while it is still dispatching the burst.
    if (i % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
  }
  const recs = await Promise.all(pending);
  await fake.waitFor(() => recs.every((r) => r.ackedAt !== undefined || r.lateCallbackAt.length > 0), 30_000);
  return recs;
}

/**
 * Real Discord is always warm; a fake that just started is not. Before the bot logs in, a bare
 * discord.js client (in this thread) takes a few bursts, so the bench's first burst measures a
 * bot that just started, not V8 compiling the fake.
 */
async function warmUp(fake: FakeDiscord, setup: PeerSetup): Promise<void> {
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
  client.on(
    Events.InteractionCreate,
    (i) => void (i.isRepliable() ? i.deferReply().catch(() => undefined) : undefined),
  );
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  try {
    await client.login(setup.botToken);
    await ready;
    await client.rest.put(Routes.applicationGuildCommands(setup.applicationId, setup.guildId), {
      body: [
        {
          name: 'video',
          description: 'warm-up',
          options: [{ type: 3, name: 'prompt', description: 'prompt', required: true }],
        },
      ],
    });
    for (let round = 0; round < WARM_UP_BURSTS; round++) await burst(fake, setup, setup.userIds.slice(0, WARM_UP_SIZE));
  } finally {
    await client.destroy();
  }
}
const WARM_UP_BURSTS = 3;
const WARM_UP_SIZE = 100;

async function run(port: NonNullable<typeof parentPort>, setup: PeerSetup): Promise<void> {
  const send = (m: PeerMessage) => port.postMessage(m);
  const sim = setup.simUrl
    ? { url: setup.simUrl, close: () => Promise.resolve() }
    : await startKlingSimulator({
        auth: { accessKey: setup.accessKey, secretKey: setup.secretKey },
        timing: { submittedMs: 200, processingMs: 800 },
      });
  // Only acknowledgement is measured; edit limits would just slow the teardown.
  const fake = await startFakeDiscord({
    botToken: setup.botToken,
    applicationId: setup.applicationId,
    guilds: [{ id: setup.guildId, channels: setup.channels }],
    channelEditLimit: null,
    defaultRouteLimit: null,
  });
  await warmUp(fake, setup);
  port.on('message', (raw: unknown) => {
    const cmd = PeerCommand.parse(raw);
    void (async () => {
      if (cmd.type === 'burst') {
        const elu = performance.eventLoopUtilization();
        const recs = await burst(fake, setup, setup.userIds.slice(cmd.from, cmd.from + cmd.count), cmd.spreadMs);
        // An ack that missed the 3-second deadline counts with the time it did arrive, so it shows in the p99.
        send({
          type: 'acks',
          latencies: recs.map((r) => r.ackLatencyMs ?? (r.lateCallbackAt[0] ?? r.dispatchedAt) - r.dispatchedAt),
          types: recs.map((r) => r.ackType ?? 0),
          utilization: performance.eventLoopUtilization(elu).utilization,
        });
        // Let the cards open, so the bench's teardown does not race replies still in flight.
        if (cmd.settle !== false)
          await fake
            .waitFor(() => recs.every((r) => r.responses.some((x) => x.kind === 'edit')), 30_000)
            .catch(() => undefined);
        send({ type: 'settled' });
      } else {
        await fake.close();
        await sim.close();
        send({ type: 'closed' });
        port.close();
      }
    })().catch((err: unknown) => send({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
  });
  send({ type: 'ready', apiUrl: fake.apiUrl, simUrl: sim.url });
}

if (parentPort) {
  const port = parentPort;
  run(port, PeerSetup.parse(workerData)).catch((err: unknown) =>
    port.postMessage({
      type: 'error',
      message: err instanceof Error ? err.message : String(err),
    } satisfies PeerMessage),
  );
}
