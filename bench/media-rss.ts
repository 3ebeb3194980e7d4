/**
 * Memory while a result moves (issue 18): the bot as `npm start` runs it (its own process), one
 * /video whose result is a real mp4 of 10 MB (Discord, within its 10 MiB default) or 40 MB (Slack),
 * downloaded from the Kling simulator and uploaded to the fake. The bot's RSS is sampled from
 * /proc every 10 ms: its level at rest (the peak over the last second of 3 s), then its peak from
 * the command until the file is on the platform. A result of known length streams from Kling into
 * the upload on both platforms (Slack's upload URL takes the raw body; Discord's edit a multipart
 * body the bot writes itself), so a transfer holds a few buffers, not the file: held to the issue's
 * bound for a streamed transfer, less than 10 MB (a buffered one would be held to its file size).
 * The same run with a 1 kB result (a fresh bot) is the control: what a first command costs without a transfer.
 * Printed: the peak added over rest, the control's, and what the transfer adds against its size,
 * the median of three such pairs per platform.
 *
 * Standalone: `tsx bench/media-rss.ts`; in `npm run bench` as `--only media`.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { startDiscordWire, startSlackWire } from './wire.js';

export interface MediaRss {
  platform: 'discord' | 'slack';
  fileBytes: number;
  /** Added by the same command with a 1 kB result. */
  controlMB?: number;
  restPeakMB: number;
  movingPeakMB: number;
  addedMB: number;
  seconds: number;
  /** Every pair's transfer, lowest first (this run is the median). */
  transfersMB?: number[];
}

const MB = 1_000_000;
const SAMPLE_MS = 10;
const REST_MS = 3000;
/** The rest level is read at the end of the rest window, once start-up has settled. */
const REST_LEVEL_MS = 1000;
/** Pairs (a 1 kB control, then the file) per platform; the median transfer is printed. */
const REPEATS = 3;

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return kb * 1024;
}

/** The highest RSS seen while `until` is false (checked each sample), or for `ms`. */
async function peakWhile(pid: number, until: () => boolean, ms = 120_000): Promise<number> {
  const end = Date.now() + ms;
  let peak = 0;
  while (!until() && Date.now() < end) {
    peak = Math.max(peak, rssBytes(pid));
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
  }
  return Math.max(peak, rssBytes(pid));
}

/**
 * The bot at rest, just before the command: its peak over the last second of a 3 s wait. Start-up
 * leaves a peak of its own (V8 compiling, the first garbage) that RSS may fall from; a peak over the
 * whole wait made a transfer look negative.
 */
async function restLevel(pid: number): Promise<number> {
  await new Promise((r) => setTimeout(r, REST_MS - REST_LEVEL_MS));
  return peakWhile(pid, () => false, REST_LEVEL_MS);
}

const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;

async function discordRun(fileBytes: number): Promise<MediaRss> {
  const wire = await startDiscordWire({
    layout: [1],
    channelEditLimit: { requests: 5, windowMs: 5000 },
    timing: { submittedMs: 500, processingMs: 1500, jitter: 0 },
    env: { POLL_INTERVAL_MS: '250' },
    media: { bytes: fileBytes },
  });
  try {
    const pid = wire.bot.proc.pid ?? 0;
    const rest = await restLevel(pid);
    const started = Date.now();
    const rec = await wire.video(wire.guilds[0]?.channels[0] ?? '', 'a whale breaching at dawn');
    const card = () => (rec.originalMessageId ? wire.fake.messages.get(rec.originalMessageId) : undefined);
    const moving = await peakWhile(pid, () => (card()?.attachments.length ?? 0) > 0);
    if ((card()?.attachments[0]?.size ?? 0) !== fileBytes)
      throw new Error('media bench: the file never reached the card');
    return result('discord', fileBytes, rest, moving, started);
  } finally {
    await wire.close();
  }
}

async function slackRun(fileBytes: number): Promise<MediaRss> {
  const wire = await startSlackWire({
    timing: { submittedMs: 500, processingMs: 1500, jitter: 0 },
    env: { POLL_INTERVAL_MS: '250' },
    media: { bytes: fileBytes },
    fake: { scopes: ['commands', 'chat:write', 'chat:write.public', 'files:write'] },
  });
  try {
    const pid = wire.bot.proc.pid ?? 0;
    const rest = await restLevel(pid);
    const started = Date.now();
    await wire.video('a whale breaching at dawn', 'U0RSS1');
    const moving = await peakWhile(pid, () => wire.fake.files.sharedIn(wire.channel).length > 0);
    const shared = wire.fake.files.sharedIn(wire.channel)[0];
    if (shared?.length !== fileBytes) throw new Error('media bench: the file never reached the thread');
    return result('slack', fileBytes, rest, moving, started);
  } finally {
    await wire.close();
  }
}

function result(platform: MediaRss['platform'], fileBytes: number, rest: number, moving: number, started: number) {
  return {
    platform,
    fileBytes,
    restPeakMB: mb(rest),
    movingPeakMB: mb(moving),
    addedMB: mb(moving - rest),
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

export async function benchMediaRss(): Promise<MediaRss[]> {
  const runs: MediaRss[] = [];
  for (const [run, bytes] of [
    [discordRun, 10 * MB],
    [slackRun, 40 * MB],
  ] as const) {
    const pairs: MediaRss[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const control = await run(1000);
      pairs.push({ ...(await run(bytes)), controlMB: control.addedMB });
    }
    pairs.sort((a, b) => transferOf(a) - transferOf(b));
    const median = pairs[Math.floor(pairs.length / 2)] as MediaRss;
    runs.push({ ...median, transfersMB: pairs.map(transferOf) });
  }
  return runs;
}

/** What the transfer itself adds: the run's peak over rest, less the 1 kB control's. */
const transferOf = (r: MediaRss) => Math.round((r.addedMB - (r.controlMB ?? 0)) * 10) / 10;

/** What the issue holds a transfer to: a streamed one adds less than 10 MB, a buffered one no more than its file. */
export const STREAMED_BOUND_MB = 10;

export function mediaRssTable(runs: readonly MediaRss[]): string {
  const lines = runs.map((r) => {
    const transfer = transferOf(r);
    const file = mb(r.fileBytes);
    const ratio = Math.round((transfer / file) * 100) / 100;
    // Both platforms stream a result of known length (Slack's upload URL, Discord's multipart body).
    const within = transfer < STREAMED_BOUND_MB;
    return (
      `${r.platform.padEnd(8)} ${String(file).padStart(5)} MB file: peak RSS at rest ${r.restPeakMB} MB, ` +
      `while it moves ${r.movingPeakMB} MB (+${r.addedMB} MB; a 1 kB result: +${r.controlMB ?? '?'} MB); ` +
      `the transfer adds ${transfer} MB = ${ratio}× the file (median of ${r.transfersMB?.join(', ') ?? transfer}); bound: streamed, < ${STREAMED_BOUND_MB} MB ` +
      `(a buffered one: <= ${file} MB): ${within ? 'WITHIN' : 'OVER'}; on the platform ${r.seconds} s after the command`
    );
  });
  return ['Memory while a result moves (bot process RSS, sampled every 10 ms):', ...lines].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${mediaRssTable(await benchMediaRss())}\n`);
  process.exit(0);
}
