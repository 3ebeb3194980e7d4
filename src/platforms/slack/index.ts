import type { IncomingMessage, ServerResponse } from 'node:http';
import * as AppModule from '@slack/bolt/dist/App.js';
import * as HTTPReceiverModule from '@slack/bolt/dist/receivers/HTTPReceiver.js';
import { Dispatcher } from '../../../commands/dispatch.js';
import { commandByName, commands } from '../../../commands/index.js';
import type { Config } from '../../config.js';
import type { Core } from '../../core.js';
import type { TaskScope } from '../../domain.js';
import { decodeButtonId } from '../../interaction-ids.js';
import { CARD_BY_OUTBOX, type CommandIO, type Invocation } from '../../invocation.js';
import { submissionOf, type ModalView } from '../../modals.js';
import { notices } from '../../render/notices.js';
import type { PrivateView } from '../../render/view.js';
import type { StartAdapter } from '../types.js';
import { commonJsDefault } from './commonjs-default.js';
import { boltLogger } from './logger.js';
import { plainFromSlack } from './mrkdwn.js';
import { actionInvocation, BlockActionsPayload, commandInvocation, SlashCommandPayload } from './payloads.js';
import { ChannelMembership } from './membership.js';
import { readSubmission, slackModal, viewInvocation, ViewSubmissionPayload } from './modal.js';
import { SlackPort, type SlackReplyTarget } from './port.js';
import { teamGate } from './team-gate.js';
import { MAX_SLACK_BODY_BYTES, SlackRequestVerifier } from './verify.js';
import { SlackPermalinks } from './permalinks.js';
import { SlackWorkspaces } from './workspaces.js';

// Bolt's App and HTTPReceiver from their own modules: Bolt's index also loads its ExpressReceiver and
// so express, which this bot never uses (~40 modules and ~40 ms less at every start). Static imports,
// so the build bundles them (a `require` here would load Bolt a second time, beside the bundle's copy).
const App = commonJsDefault(AppModule);
const HTTPReceiver = commonJsDefault(HTTPReceiverModule);

export { SlackPort } from './port.js';
export { SlackWorkspaces } from './workspaces.js';

/** Slash commands and interactivity both post here (see slack/manifest.yml). */
export const SLACK_EVENTS_PATH = '/slack/events';
const STOP_DEADLINE_MS = 3000;

const scopeOf = (inv: Invocation): TaskScope => ({
  platform: 'slack',
  guildId: inv.guildId,
  channelId: inv.channelId,
  userId: inv.user.id,
  userName: inv.user.name,
});

/**
 * Starts the Slack side: a Bolt App whose requests arrive at POST /slack/events on the bot's own
 * HTTP server (signature, the 5-minute window both ways, replays and the body size checked by
 * SlackRequestVerifier, then Bolt's HTTPReceiver), or over Socket
 * Mode when an app token is configured. Every handler acks first and works after, so slow work
 * never delays the 3-second acknowledgement.
 */
export const startSlack: StartAdapter<NonNullable<Config['slack']>> = async (core: Core, config, http) => {
  const log = core.log.child({ platform: 'slack' });
  const logger = boltLogger(log);
  const workspaces = new SlackWorkspaces({ botToken: config.botToken, apiUrl: config.apiUrl, logger });
  const identity = await workspaces.identity();
  // Uploads need files:write; without it cards keep Kling's links (one line says so, once).
  // Slack names the token's scopes on every answer; uploads only when it says files:write.
  const uploads = identity.scopes?.includes('files:write') ?? false;
  if (identity.scopes && !uploads)
    log.warn("the Slack app lacks the files:write scope: finished videos stay Kling's links (30 days), not uploaded");
  const port = new SlackPort(workspaces, log, { uploads, quiet: () => core.burst.after() });
  // Registered once, before the first command can arrive.
  core.addPort(port);
  const dispatcher = new Dispatcher(core.services, core.metrics);
  const socketMode = Boolean(config.appToken);
  const receiver = socketMode
    ? undefined
    : new HTTPReceiver({
        signingSecret: config.signingSecret,
        endpoints: SLACK_EVENTS_PATH,
        logger,
        processBeforeResponse: false,
        bodyLimit: MAX_SLACK_BODY_BYTES,
      });
  // Before Bolt: both-way timestamp window, a replay cache in the shared store, a 64 KiB body cap.
  const verifier = new SlackRequestVerifier({
    signingSecret: config.signingSecret,
    firstSighting: (key, ttlMs) => core.storage.replay.firstSighting(key, ttlMs),
    log,
  });

  const app = new App({
    ...(receiver ? { receiver } : { socketMode: true, appToken: config.appToken ?? '' }),
    authorize: async (source) => ({
      botToken: await workspaces.tokenFor(source.teamId),
      ...identity,
      ...(source.teamId ? { teamId: source.teamId } : {}),
    }),
    clientOptions: { slackApiUrl: config.apiUrl },
    logger,
    convoStore: false,
  });

  // Before every listener: only the token's own workspace is served (auth.test asked again until it answers).
  app.use(teamGate(async () => (await workspaces.identity()).teamId, log));

  const membership = new ChannelMembership(log);
  const permalinks = new SlackPermalinks(workspaces, log);
  const mayPostCard = async (inv: Invocation) =>
    (await membership.canPost(await workspaces.clientFor(inv.guildId), inv.guildId, inv.channelId)) !== 'no';
  const inflight = new Set<Promise<void>>();
  let stopped = false;
  /** Work after the ack: tracked so stop() can let it finish, and never an unhandled rejection. */
  const run = (work: () => Promise<void>): void => {
    const p = work()
      .catch((err: unknown) => log.error({ err }, 'slack handler failed'))
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };

  /**
   * Each request is held by the core's burst gate (src/burst-gate.ts), as a Discord interaction is: its arrival counts
   * towards a burst and its ack while it is on the wire, and the work after the ack waits (bounded) until the burst
   * is acknowledged, as the background work does (the tracker's poll, every message write).
   */
  const ackThenRun = (ack: () => Promise<void>, work: () => Promise<void>): Promise<void> =>
    core.burst.hold(async (hold) => {
      await hold.acking$(ack());
      run(async () => {
        await hold.after();
        await work();
      });
    });

  /**
   * Slack's ack is an empty 200 (sent by Bolt at once), so every answer is a write: private ones go
   * through the channel's outbox (response_url first, chat.postEphemeral as fallback) and the card
   * is posted by the core through the same outbox.
   */
  const io = (inv: Invocation, responseUrl: string | undefined, click: boolean, trigger?: string): CommandIO => {
    const scope = scopeOf(inv);
    const target: SlackReplyTarget = {
      channel: inv.channelId,
      user: inv.user.id,
      ...(responseUrl ? { responseUrl } : {}),
    };
    const send = async (view: PrivateView, replace: boolean) => {
      const outbox = core.outboxes.for(scope);
      if (!outbox) throw new Error('no outbox for this channel');
      await outbox.send(scope, 1, (p) => p.replyPrivate(target, view, scope, replace));
    };
    // A click's trigger opens a form (views.open, once, within 3 s); its submission comes back as a view.
    const openModal = async (view: ModalView) => {
      const client = await workspaces.clientFor(inv.guildId);
      await client.views.open({ trigger_id: trigger ?? '', view: slackModal(view, inv.channelId) });
    };
    return {
      // Slack's acknowledgement is an empty 200: the card is always a message of its own, posted by the outbox.
      card: CARD_BY_OUTBOX,
      replyPrivate: (view) => send(view, false),
      cardLinks: (handles) => permalinks.linksFor(inv.guildId, handles),
      ...(click ? { updatePrivate: (view: PrivateView) => send(view, true) } : {}),
      ...(trigger ? { openModal } : {}),
    };
  };

  for (const command of commands) {
    app.command(`/${command.name}`, ({ ack, body }) =>
      ackThenRun(ack, async () => {
        const parsed = SlashCommandPayload.safeParse(body);
        if (!parsed.success) {
          log.warn(
            { command: command.name, issues: parsed.error.issues.map((i) => i.path.join('.')) },
            'unreadable slash command payload',
          );
          return;
        }
        const inv = commandInvocation(parsed.data);
        // A card command in a channel the bot cannot post in is refused before anything is paid for.
        if (command.visibility === 'card' && !(await mayPostCard(inv))) {
          await io(inv, parsed.data.response_url, false).replyPrivate(notices.cannotPostHere());
          return;
        }
        // Slack's markup undone here; the text form is read in one place (commands/dispatch.ts `rawFromText`).
        const text = plainFromSlack(parsed.data.text);
        await dispatcher.runCommand(
          command.name,
          { text, imageFirst: true },
          inv,
          io(inv, parsed.data.response_url, false),
        );
      }),
    );
  }

  // Every button: card buttons, /tasks paging, and link buttons (Slack sends those too; they only need the ack).
  app.action(/.*/, ({ ack, body }) =>
    ackThenRun(ack, async () => {
      const parsed = BlockActionsPayload.safeParse(body);
      if (!parsed.success) return;
      const action = parsed.data.actions[0];
      if (!action?.value || action.url) return;
      const inv = actionInvocation(parsed.data);
      if (!inv) {
        log.warn({ actionId: action.action_id }, 'button click without a workspace or channel');
        return;
      }
      // Regenerate and Extend open a new card: the same check as a card command, before anything is paid for.
      const decoded = decodeButtonId(action.value);
      const opensCard = decoded.type === 'card' && (decoded.action === 'regenerate' || decoded.action === 'extend');
      if (opensCard && !(await mayPostCard(inv))) {
        await io(inv, parsed.data.response_url, true).replyPrivate(notices.cannotPostHere());
        return;
      }
      await dispatcher.runButton(action.value, inv, io(inv, parsed.data.response_url, true, parsed.data.trigger_id));
    }),
  );

  // A submitted form (the card's Edit): the command it stands for, parsed by that command's schema.
  app.view(/^kb:m:/, ({ ack, body }) =>
    ackThenRun(ack, async () => {
      const parsed = ViewSubmissionPayload.safeParse(body);
      const read = parsed.success ? readSubmission(parsed.data) : undefined;
      const submission = read && submissionOf(read.modalId, read.values);
      const command = submission && commandByName(submission.command);
      if (!parsed.success || !read || !submission || !command) {
        log.warn({ callbackId: parsed.data?.view.callback_id }, 'unreadable or unknown form submission');
        return;
      }
      const inv = viewInvocation(parsed.data, read);
      const answer = io(inv, undefined, false);
      if (command.visibility === 'card' && !(await mayPostCard(inv)))
        return await answer.replyPrivate(notices.cannotPostHere());
      await dispatcher.runCommand(command.name, { options: { ...submission.raw } }, inv, answer);
    }),
  );

  app.error(async (error) => {
    log.error({ err: error.message, code: error.code }, 'bolt error');
  });

  if (receiver) {
    http.mount(SLACK_EVENTS_PATH, (req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? '').split('?')[0];
      if (stopped) return void res.writeHead(503).end();
      if (path !== SLACK_EVENTS_PATH) return void res.writeHead(404).end();
      if (req.method !== 'POST') return void res.writeHead(405, { Allow: 'POST' }).end();
      void verifier
        .handle(req, res, (verified, response) => receiver.requestListener(verified, response))
        .catch((err: unknown) => {
          log.error({ err }, 'slack request verification failed');
          if (!res.headersSent) res.writeHead(500).end();
        });
    });
  } else {
    await app.start();
  }
  log.info(
    { mode: socketMode ? 'socket' : 'http', team: identity.teamId, path: socketMode ? undefined : SLACK_EVENTS_PATH },
    'slack adapter started',
  );

  return {
    port,
    async stop() {
      stopped = true;
      if (socketMode) await app.stop().catch((err: unknown) => log.warn({ err }, 'socket mode did not stop cleanly'));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inflight]),
        new Promise((resolve) => (timer = setTimeout(resolve, STOP_DEADLINE_MS))),
      ]);
      clearTimeout(timer);
    },
  };
};
