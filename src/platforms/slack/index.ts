import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, HTTPReceiver, type RespondFn } from '@slack/bolt';
import { commands } from '../../../commands/index.js';
import type { Command, CommandIO, Invocation } from '../../../commands/types.js';
import type { Config } from '../../config.js';
import type { Core } from '../../core.js';
import { asksForHelp } from '../../dispatch.js';
import type { TaskScope } from '../../domain.js';
import type { PrivateView } from '../../render/view.js';
import type { StartAdapter } from '../types.js';
import { privateMessage } from './blocks.js';
import { boltLogger } from './logger.js';
import { plainFromSlack } from './mrkdwn.js';
import { actionInvocation, BlockActionsPayload, commandInvocation, SlashCommandPayload } from './payloads.js';
import { SlackCardPort } from './port.js';
import { SlackWorkspaces } from './workspaces.js';

export { SlackCardPort } from './port.js';
export { SlackWorkspaces } from './workspaces.js';

/** Slash commands and interactivity both post here (see slack/manifest.yml). */
export const SLACK_EVENTS_PATH = '/slack/events';
const STOP_DEADLINE_MS = 3000;

const scopeOf = (inv: Invocation): TaskScope => ({ platform: 'slack', guildId: inv.guildId, channelId: inv.channelId, userId: inv.user.id, userName: inv.user.name });

/**
 * Slack's text form of a command. `/animate` has no attachment on Slack, so its first word is
 * the image URL and the rest the prompt (`/animate https://x/cat.png the cat waves --mode pro`);
 * a leading `--flag` means the user wrote `--image` themselves.
 */
export function rawFromSlackText(command: Command, text: string): string | Record<string, unknown> {
  const trimmed = text.trim();
  const image = command.attachmentOptions?.[0];
  const first = trimmed.split(/\s+/)[0] ?? '';
  if (!image || first === '' || /^(--|—)/.test(first) || asksForHelp(trimmed)) return trimmed;
  const rest = trimmed.slice(first.length).trim();
  return { [image]: first, ...(rest && command.freeText ? { [command.freeText]: rest } : {}) };
}

/**
 * Starts the Slack side: a Bolt App whose requests arrive at POST /slack/events on the bot's own
 * HTTP server (signature and 5-minute timestamp checked by Bolt's HTTPReceiver), or over Socket
 * Mode when an app token is configured. Every handler acks first and works after, so slow work
 * never delays the 3-second acknowledgement.
 */
export const startSlack: StartAdapter<NonNullable<Config['slack']>> = async (core: Core, config, http) => {
  const log = core.log.child({ platform: 'slack' });
  const logger = boltLogger(log);
  const workspaces = new SlackWorkspaces({ botToken: config.botToken, apiUrl: config.apiUrl, logger });
  const identity = await workspaces.identity();
  const port = new SlackCardPort(workspaces, log);
  const socketMode = Boolean(config.appToken);
  const receiver = socketMode ? undefined : new HTTPReceiver({ signingSecret: config.signingSecret, endpoints: SLACK_EVENTS_PATH, logger, processBeforeResponse: false });

  const app = new App({
    ...(receiver ? { receiver } : { socketMode: true, appToken: config.appToken ?? '' }),
    authorize: async (source) => ({ botToken: await workspaces.tokenFor(source.teamId), ...identity, ...(source.teamId ? { teamId: source.teamId } : {}) }),
    clientOptions: { slackApiUrl: config.apiUrl },
    logger,
    convoStore: false,
  });

  const inflight = new Set<Promise<void>>();
  let stopped = false;
  /** Work after the ack: tracked so stop() can let it finish, and never an unhandled rejection. */
  const run = (work: () => Promise<void>): void => {
    const p = work()
      .catch((err: unknown) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'slack handler failed'))
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };

  /** Ephemeral answer: response_url first (it works in DMs and channels the bot is not in), chat.postEphemeral as fallback. */
  const reply = async (inv: Invocation, respond: RespondFn | undefined, view: PrivateView, mode: 'new' | 'newAfterClick' | 'replace'): Promise<void> => {
    const { text, blocks } = privateMessage(view);
    if (respond) {
      try {
        if (mode === 'replace') await respond({ replace_original: true, text, blocks });
        else await respond({ response_type: 'ephemeral', ...(mode === 'newAfterClick' ? { replace_original: false } : {}), text, blocks });
        return;
      } catch (err) {
        log.warn({ err: err instanceof Error ? err.message : String(err), channel: inv.channelId }, 'response_url failed; falling back to chat.postEphemeral');
      }
    }
    const client = await workspaces.clientFor(inv.guildId);
    await client.chat.postEphemeral({ channel: inv.channelId, user: inv.user.id, text, blocks });
  };

  const io = (inv: Invocation, respond: RespondFn | undefined, click: boolean): CommandIO => ({
    replyPrivate: (view) => reply(inv, respond, view, click ? 'newAfterClick' : 'new'),
    openCard: (view) => port.openCard(scopeOf(inv), view),
    ...(click ? { updatePrivate: (view: PrivateView) => reply(inv, respond, view, 'replace') } : {}),
  });

  for (const command of commands) {
    app.command(`/${command.name}`, async ({ ack, body, respond }) => {
      await ack();
      run(async () => {
        const parsed = SlashCommandPayload.safeParse(body);
        if (!parsed.success) {
          log.warn({ command: command.name, issues: parsed.error.issues.map((i) => i.path.join('.')) }, 'unreadable slash command payload');
          return;
        }
        const inv = commandInvocation(parsed.data);
        await core.dispatcher.runCommand(command.name, rawFromSlackText(command, plainFromSlack(parsed.data.text)), inv, io(inv, respond, false));
      });
    });
  }

  // Every button: card buttons, /tasks paging, and link buttons (Slack sends those too; they only need the ack).
  app.action(/.*/, async ({ ack, body, respond }) => {
    await ack();
    run(async () => {
      const parsed = BlockActionsPayload.safeParse(body);
      if (!parsed.success) return;
      const action = parsed.data.actions[0];
      if (!action?.value || action.url) return;
      const inv = actionInvocation(parsed.data);
      if (!inv) {
        log.warn({ actionId: action.action_id }, 'button click without a workspace or channel');
        return;
      }
      await core.dispatcher.runButton(action.value, inv, io(inv, parsed.data.response_url ? respond : undefined, true));
    });
  });

  app.error(async (error) => {
    log.error({ err: error.message, code: error.code }, 'bolt error');
  });

  if (receiver) {
    http.mount(SLACK_EVENTS_PATH, (req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? '').split('?')[0];
      if (stopped) return void res.writeHead(503).end();
      if (path !== SLACK_EVENTS_PATH) return void res.writeHead(404).end();
      if (req.method !== 'POST') return void res.writeHead(405, { Allow: 'POST' }).end();
      receiver.requestListener(req, res);
    });
  } else {
    await app.start();
  }
  log.info({ mode: socketMode ? 'socket' : 'http', team: identity.teamId, path: socketMode ? undefined : SLACK_EVENTS_PATH }, 'slack adapter started');

  return {
    port,
    async stop() {
      stopped = true;
      if (socketMode) await app.stop().catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'socket mode did not stop cleanly'));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...inflight]), new Promise((resolve) => (timer = setTimeout(resolve, STOP_DEADLINE_MS)))]);
      clearTimeout(timer);
    },
  };
};
