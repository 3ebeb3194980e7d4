/**
 * `npm run rehost`: uploads the results of stored tasks whose Kling links die within 7 days onto
 * (Discord) or under (Slack) their cards, through the bot's own outboxes, with a progress bar and a
 * summary. It connects to no gateway and calls no Kling API: it only downloads Kling's links.
 */
import { ConfigError, loadConfig, type Config } from '../config.js';
import { useModelTable } from '../kling/model-table.js';
import { createLogger, type Logger } from '../log.js';
import { RehostCards } from '../media/rehost-cards.js';
import { runRehost, type RehostSummary } from '../media/rehost.js';
import { MediaStage, type MediaStageOptions } from '../media/stage.js';
import type { PlatformPort } from '../port.js';
import { openStorage } from '../store/storage.js';
import { DiscordPort } from './discord/port.js';
import { messageRest } from './discord/rest.js';
import { boltLogger } from './slack/logger.js';
import { SlackPort } from './slack/port.js';
import { SlackWorkspaces } from './slack/workspaces.js';

export interface RehostIo {
  /** Progress bar and summary. */
  out: { write(text: string): unknown; isTTY?: boolean };
  /** Log lines (JSON, as the bot writes them). */
  log?: { write(line: string): unknown };
  now?: () => number;
  /** Download clocks (tests shorten them). */
  limits?: MediaStageOptions['limits'];
}

const BAR = 24;

/** `[#########---------------] 12/40  uploaded 10, too large 1, gone 1, failed 0` */
export function progressLine(done: number, s: RehostSummary): string {
  const filled = s.total === 0 ? BAR : Math.round((done / s.total) * BAR);
  const tally = `uploaded ${s.uploaded}, too large ${s.tooLarge}, gone at Kling ${s.gone}, failed ${s.failed}`;
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}] ${done}/${s.total}  ${tally}`;
}

async function portsFor(config: Config, log: Logger, out: RehostIo['out']): Promise<PlatformPort[]> {
  const ports: PlatformPort[] = [];
  const { discord, slack } = config;
  if (discord)
    ports.push(
      new DiscordPort({ rest: messageRest(discord.apiUrl, discord.token), applicationId: discord.applicationId, log }),
    );
  if (slack) {
    const workspaces = new SlackWorkspaces({ botToken: slack.botToken, apiUrl: slack.apiUrl, logger: boltLogger(log) });
    const uploads = (await workspaces.identity()).scopes?.includes('files:write') ?? false;
    if (!uploads) out.write('Slack: the app lacks the files:write scope, so Slack cards are left as they are.\n');
    ports.push(new SlackPort(workspaces, log, { uploads }));
  }
  return ports;
}

/** Runs the whole program; resolves with its exit code. */
export async function rehostProgram(env: NodeJS.ProcessEnv, io: RehostIo): Promise<number> {
  // Rehost never calls Kling's API; an operator should not need its keys just for this.
  const hasKling = Boolean(env['KLING_API_KEY'] || (env['KLING_ACCESS_KEY'] && env['KLING_SECRET_KEY']));
  let config: Config;
  try {
    config = loadConfig(hasKling ? env : { ...env, KLING_API_KEY: 'not-needed-to-rehost' });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.out.write(`cannot rehost; fix these settings:\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`);
    return 1;
  }
  useModelTable(config.kling.models);
  const log = createLogger({ level: config.env.LOG_LEVEL, secrets: config.secrets, out: io.log ?? process.stderr });
  const now = io.now ?? Date.now;
  const storage = await openStorage(config.env.STORE_URL, log);
  const store = storage.tasks;
  const stage = new MediaStage({
    concurrency: config.env.MEDIA_CONCURRENCY,
    log,
    now,
    ...(io.limits ? { limits: io.limits } : {}),
  });
  const cards = new RehostCards({ store, stage, ports: await portsFor(config, log, io.out), log, now });
  const tty = io.out.isTTY === true;
  let lastTenth = -1;
  try {
    const summary = await runRehost({
      ids: () => store.allTaskIds(),
      getMany: (ids) => store.getMany(ids),
      now,
      rehost: (rec) => cards.rehost(rec),
      concurrency: config.env.MEDIA_CONCURRENCY,
      onProgress: (done, s) => {
        // A bar redrawn in place on a terminal; a line per tenth in a log.
        const tenth = s.total === 0 ? 10 : Math.floor((done / s.total) * 10);
        if (tty) io.out.write(`\r${progressLine(done, s)}`);
        else if (tenth !== lastTenth) io.out.write(`${progressLine(done, s)}\n`);
        lastTenth = tenth;
      },
    });
    io.out.write(
      `${tty ? '\n' : ''}rehost: ${summary.total} tasks whose Kling links die within 7 days: ` +
        `${summary.uploaded} uploaded, ${summary.tooLarge} too large, ${summary.gone} gone at Kling, ` +
        `${summary.failed} failed\n`,
    );
    return 0;
  } finally {
    await cards.close();
    await storage.close();
  }
}
