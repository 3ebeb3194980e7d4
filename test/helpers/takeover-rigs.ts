/**
 * The takeover scenario (issue 16), shared by test/discord-takeover.test.ts, test/slack-takeover.test.ts
 * and `npm run bench -- --only takeover`: two replicas (child processes) on one Redis, every task
 * running at Kling with its card showing it; then the replica that polls Kling is SIGKILLed at the
 * moment its tasks finish at Kling (the simulator's clock jumps at the kill; no callbacks), and the
 * survivor must take the lease over and show every card final. The rigs only measure; the callers judge.
 */
import { startKlingSimulator, type KlingSimulator } from '../../tools/kling-simulator/simulator.js';
import type { InteractionRecord, MessageRecord as DiscordMessage } from '../fakes/discord/index.js';
import type { MessageRecord as SlackMessage } from '../fakes/slack/index.js';
import type { ChildBot } from './bot-process.js';
import { closeInOrder } from './close-in-order.js';
import * as discord from './discord-harness.js';
import * as slack from './slack-harness.js';
import { delaysAfter, leadsNow, theLeader } from './takeover.js';

/** Long enough that nothing finishes until the rig moves Kling's clock at the kill. */
const PROCESSING_MS = 600_000;
/** Discord's per-channel window: the cards' earlier edits must have left it before the kill. */
const CHANNEL_WINDOW_MS = 5000;

export interface TakeoverOptions {
  /** A Redis both replicas share (`redis://host:port/db`). */
  storeUrl: string;
  pollIntervalMs: number;
  tasks: number;
}

export interface TakeoverResult {
  /** Milliseconds from the SIGKILL to each card's first final edit, sorted. */
  delays: number[];
  /** Creates Kling received per task (each should be 1). */
  createsPerTask: number[];
  creates: number;
  duplicateCreates: number;
  /** The replica that was not killed holds the lease at the end. */
  survivorLeads: boolean;
}

/** Waits for the finals long enough for a slow poll interval, and says why they did not come. */
const finalsDeadlineMs = (o: TakeoverOptions) => Math.max(20_000, 6 * o.pollIntervalMs);
const runningDeadlineMs = (o: TakeoverOptions) => 30_000 + 4 * o.pollIntervalMs;

function startSim(auth: { accessKey: string; secretKey: string }, skew: () => number): Promise<KlingSimulator> {
  return startKlingSimulator({
    auth,
    timing: { submittedMs: 100, processingMs: PROCESSING_MS, jitter: 0 },
    now: () => Date.now() + skew(),
  });
}

function withOutputs(children: readonly ChildBot[]): (err: unknown) => never {
  return (err) => {
    throw new Error(`not every card final after the kill:\n${children.map((c) => c.output()).join('\n')}`, {
      cause: err,
    });
  };
}

/** When a Discord card first showed its own video (the fake's edit log), if it has. */
function discordFinalAt(s: KlingSimulator, message: DiscordMessage | undefined): number | undefined {
  const id = discord.taskIdOf(message);
  const url = id ? discord.expectedVideoUrl(s, id) : undefined;
  if (!message || !id || !url) return undefined;
  // Kling's link, or the uploaded copy (named with the task id) in the gallery.
  const shows = (body: string) => body.includes(url) || (body.includes('attachment://') && body.includes(id));
  return message.edits.find((e) => shows(JSON.stringify(e.body)))?.at;
}

/** Two Discord replicas, both on the gateway; `/video` from a user each, over three channels in two servers. */
export async function discordTakeover(o: TakeoverOptions): Promise<TakeoverResult> {
  let skew = 0;
  const { SECRETS } = discord;
  const s = await startSim({ accessKey: SECRETS.klingAccessKey, secretKey: SECRETS.klingSecretKey }, () => skew);
  const f = await discord.startFake();
  const children: ChildBot[] = [];
  try {
    const env = discord.botEnv(s, f, { STORE_URL: o.storeUrl, POLL_INTERVAL_MS: String(o.pollIntervalMs) });
    for (let i = 0; i < 2; i++) children.push(await discord.startBotProcess(env));
    await f.waitFor(() => f.identifies >= 2 && children.some(leadsNow), 15_000);

    const channels = [discord.CH_A1, discord.CH_A2, discord.CH_B1];
    const plan = Array.from({ length: o.tasks }, (_, i) => {
      const ch = channels[i % channels.length] ?? discord.CH_A1;
      return discord.video(ch, discord.carol(i), `takeover ${i}`, ch === discord.CH_B1 ? discord.GUILD_B : undefined);
    });
    const recs: InteractionRecord[] = await Promise.all(plan.map((p) => f.sendCommand(p)));
    // Running at Kling, each card showing it, and every channel quiet for a whole window.
    const lastWrite = () => Math.max(0, ...f.requests.filter((r) => r.channelWrite).map((r) => r.at));
    await f.waitFor(
      () =>
        s.stats.creates === o.tasks &&
        recs.every((r) => discord.embedText(discord.cardOf(f, r)).includes('Processing')) &&
        Date.now() - lastWrite() > CHANNEL_WINDOW_MS,
      runningDeadlineMs(o),
    );
    if (recs.some((r) => discord.cardIsFinal(s, discord.cardOf(f, r))))
      throw new Error('a card was final before the kill');

    const leader = theLeader(children);
    skew = PROCESSING_MS;
    leader.proc.kill('SIGKILL');
    const killedAt = Date.now();
    await f
      .waitFor(() => recs.every((r) => discord.cardIsFinal(s, discord.cardOf(f, r))), finalsDeadlineMs(o))
      .catch(withOutputs(children));
    const survivor = children.find((c) => c !== leader);
    return {
      delays: delaysAfter(
        killedAt,
        recs.map((r) => discordFinalAt(s, discord.cardOf(f, r)) ?? Number.NaN),
      ),
      createsPerTask: recs.map((r) => s.createsFor(discord.taskIdOf(discord.cardOf(f, r)) ?? '')),
      creates: s.stats.creates,
      duplicateCreates: s.stats.duplicateCreates,
      survivorLeads: Boolean(survivor && leadsNow(survivor)),
    };
  } finally {
    await closeInOrder([...children.map((c) => ({ close: () => c.kill() })), f, s]);
  }
}

const TEAM = 'T0ACME';
const CHANNELS = ['C0GENERAL', 'C0VIDEOS'];

/** When a Slack card first showed its own video (the fake's edit log), if it has. */
function slackFinalAt(s: KlingSimulator, message: SlackMessage): number | undefined {
  const id = slack.taskIdOfCard(message.blocks);
  const url = id ? slack.expectedVideoUrl(s, id) : undefined;
  return url ? message.edits.find((e) => e.text.includes(url))?.at : undefined;
}

/** Two Slack replicas; commands reach either in turn (as behind a load balancer), over two channels. */
export async function slackTakeover(o: TakeoverOptions): Promise<TakeoverResult> {
  let skew = 0;
  const { SECRETS } = slack;
  const s = await startSim({ accessKey: SECRETS.klingAccessKey, secretKey: SECRETS.klingSecretKey }, () => skew);
  const f = await slack.startFake([{ id: TEAM, channels: CHANNELS }]);
  const children: ChildBot[] = [];
  try {
    const env = slack.botEnv(s, f, { STORE_URL: o.storeUrl, POLL_INTERVAL_MS: String(o.pollIntervalMs) });
    for (let i = 0; i < 2; i++) children.push(await slack.startBotProcess(env));
    await f.waitFor(() => children.some(leadsNow), 15_000);

    for (let i = 0; i < o.tasks; i++) {
      f.setBotUrl(`http://127.0.0.1:${children[i % 2]?.port ?? 0}/slack/events`);
      const ack = await f.sendCommand({
        teamId: TEAM,
        channelId: CHANNELS[i % 2] ?? '',
        userId: `U0USER${i}`,
        command: '/video',
        text: `takeover ${i}`,
      });
      if (ack.status !== 200) throw new Error(`command ${i} answered ${ack.status}`);
    }
    const cards = () => CHANNELS.flatMap((ch) => f.messagesIn(ch));
    const processing = (m: SlackMessage) =>
      m.text.includes('Processing') || JSON.stringify(m.blocks).includes('Processing');
    await f.waitFor(
      () => s.stats.creates === o.tasks && cards().length === o.tasks && cards().every(processing),
      runningDeadlineMs(o),
    );
    if (cards().some((m) => slack.cardIsFinal(s, m))) throw new Error('a card was final before the kill');

    const leader = theLeader(children);
    skew = PROCESSING_MS;
    leader.proc.kill('SIGKILL');
    const killedAt = Date.now();
    await f
      .waitFor(() => cards().every((m) => slack.cardIsFinal(s, m)), finalsDeadlineMs(o))
      .catch(withOutputs(children));
    const survivor = children.find((c) => c !== leader);
    return {
      delays: delaysAfter(
        killedAt,
        cards().map((m) => slackFinalAt(s, m) ?? Number.NaN),
      ),
      createsPerTask: cards().map((m) => s.createsFor(slack.taskIdOfCard(m.blocks) ?? '')),
      creates: s.stats.creates,
      duplicateCreates: s.stats.duplicateCreates,
      survivorLeads: Boolean(survivor && leadsNow(survivor)),
    };
  } finally {
    await closeInOrder([...children.map((c) => ({ close: () => c.kill() })), f, s]);
  }
}
