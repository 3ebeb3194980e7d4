import { z } from 'zod';
import { isFinal, type CardHandle, type TaskScope } from '../../domain.js';
import type { Logger } from '../../log.js';
import {
  CardGoneError,
  CardPostError,
  PortRateLimitError,
  type PlatformPort,
  type ReplyTarget,
  type Written,
} from '../../port.js';
import type { CardView, PrivateView } from '../../render/view.js';
import { cardMessage, plainCardMessage, privateMessage, type SlackMessage } from './blocks.js';
import { parseHandle, SlackHandle } from './payloads.js';
import { ChannelGate, DEFAULT_CHANNEL_PACE, type ChannelPace } from './channel-gate.js';
import { DEFAULT_WORKSPACE_BUDGET, WorkspaceGate, type Budget } from './workspace-gate.js';
import { rateLimitMs, slackErrorCode, type SlackWorkspaces } from './workspaces.js';
import { SlackMediaSink } from './upload.js';

export { CardPostError } from '../../port.js';

/** The message (or its channel) is gone or no longer ours to edit: the tracker stops. */
const GONE = new Set([
  'message_not_found',
  'channel_not_found',
  'is_archived',
  'cant_update_message',
  'not_in_channel',
  'thread_locked',
]);
/** Slack refused the content: fall back to the minimal card rather than never showing the end. */
const BAD_CONTENT = new Set([
  'invalid_blocks',
  'invalid_blocks_format',
  'msg_blocks_too_long',
  'msg_too_long',
  'invalid_attachments',
]);
/** Slack will not let this message be edited any more; a fresh card replaces it. */
const NEEDS_REPLACEMENT = new Set(['edit_window_closed']);

/** Channel gates kept before idle ones are dropped. */
const MAX_IDLE_CHANNEL_GATES = 1000;

/**
 * Where a private answer goes: the command's response_url (works where the bot is not a member), else
 * chat.postEphemeral.
 */
export const SlackReplyTarget = z.object({
  responseUrl: z.string().url().optional(),
  channel: z.string(),
  user: z.string(),
});
export type SlackReplyTarget = z.infer<typeof SlackReplyTarget>;

/**
 * Every Slack message write: post with chat.postMessage, edit with chat.update (never
 * response_url for cards: 5 uses, 30 minutes), delete with chat.delete, private answers through
 * response_url or chat.postEphemeral. A 429 becomes PortRateLimitError so the channel's outbox
 * pauses for exactly Retry-After; chat.update also waits for the workspace's own tier.
 */
export class SlackPort implements PlatformPort {
  readonly platform = 'slack' as const;
  /**
   * Slack's answers carry no budget, so the outbox would only ever learn from a 429; the port
   * paces itself instead (the channel and workspace gates). Reporting the post pace to the outbox
   * held every chat.update of the channel to one a second as well.
   */
  readonly initialRate = { limit: Infinity, windowMs: 1000 };
  private readonly gates = new Map<string, WorkspaceGate>();
  private readonly channelGates = new Map<string, ChannelGate>();
  private readonly workspaceBudget: Budget;
  private readonly channelPace: ChannelPace;
  private readonly now: () => number;

  constructor(
    private readonly workspaces: SlackWorkspaces,
    private readonly log: Logger,
    options: {
      workspaceBudget?: Budget;
      channelPace?: ChannelPace;
      now?: () => number;
      fetch?: typeof fetch;
      /** Upload results into card threads (needs files:write). */
      uploads?: boolean;
      /** Every write waits for this first: the core's burst gate (src/burst-gate.ts), as Discord's writes do. */
      quiet?: () => Promise<void>;
    } = {},
  ) {
    this.quiet = options.quiet ?? (() => Promise.resolve());
    this.workspaceBudget = options.workspaceBudget ?? DEFAULT_WORKSPACE_BUDGET;
    this.channelPace = options.channelPace ?? DEFAULT_CHANNEL_PACE;
    this.now = options.now ?? Date.now;
    this.fetch = options.fetch ?? fetch;
    if (options.uploads) this.media = new SlackMediaSink(workspaces, (h, v, s) => this.edit(h, v, s), log);
  }

  /** Results shared into the card's thread (src/media); absent without files:write. */
  readonly media?: SlackMediaSink;

  private readonly fetch: typeof fetch;
  private readonly quiet: () => Promise<void>;

  private gate(teamId: string): WorkspaceGate {
    let gate = this.gates.get(teamId);
    if (!gate) {
      gate = new WorkspaceGate(this.workspaceBudget, this.now);
      this.gates.set(teamId, gate);
    }
    return gate;
  }

  private channelGate(teamId: string, channel: string): ChannelGate {
    const key = `${teamId}:${channel}`;
    let gate = this.channelGates.get(key);
    if (!gate) {
      if (this.channelGates.size >= MAX_IDLE_CHANNEL_GATES)
        for (const [k, g] of this.channelGates) if (g.idle()) this.channelGates.delete(k);
      gate = new ChannelGate(this.channelPace, this.now);
      this.channelGates.set(key, gate);
    }
    return gate;
  }

  /** Throws the outbox's hold when the channel's pace says wait; else counts the write and returns its "answered". */
  private channelWrite(teamId: string, channel: string, kind: 'post' | 'update'): () => void {
    const gate = this.channelGate(teamId, channel);
    const wait = gate.waitMs(kind);
    if (wait > 0) throw new PortRateLimitError(wait, { source: 'budget' });
    return gate.sent(kind);
  }

  async edit(handle: CardHandle, view: CardView, scope: TaskScope): Promise<Written<CardHandle | undefined>> {
    await this.quiet();
    const { channel, ts } = parseHandle(handle);
    const gate = this.gate(scope.guildId);
    // The channel first: a workspace token taken for a write the channel holds back would be lost.
    const channelWait = this.channelGate(scope.guildId, channel).waitMs('update');
    if (channelWait > 0) throw new PortRateLimitError(channelWait, { source: 'budget' });
    const final = isFinal(view.state);
    const wait = gate.take(final);
    // Held for finals' sake (or after a 429 drained the workspace): only this progress edit waits.
    if (wait > 0)
      throw new PortRateLimitError(wait, { source: 'budget', ...(final ? {} : { holds: 'card' as const }) });
    const client = await this.workspaces.clientFor(scope.guildId);
    const update = async (message: SlackMessage) => {
      const answered = this.channelGate(scope.guildId, channel).sent('update');
      try {
        return await client.chat.update({ channel, ts, text: message.text, blocks: message.blocks });
      } finally {
        answered();
      }
    };
    // A 429 on chat.update holds the whole workspace, and may teach the channel its limit.
    const failed = (err: unknown) => {
      const wait = rateLimitMs(err);
      if (wait !== undefined) gate.block(wait, this.channelGate(scope.guildId, channel).refused(wait));
      return this.translate(err);
    };
    try {
      await update(cardMessage(view));
      return { value: undefined };
    } catch (err) {
      const code = failed(err);
      if (code && BAD_CONTENT.has(code)) {
        this.log.warn(
          { taskId: view.taskId, slackError: code },
          'Slack refused the card blocks; showing the plain card',
        );
        try {
          await update(plainCardMessage(view));
        } catch (plainErr) {
          failed(plainErr);
          throw plainErr;
        }
        return { value: undefined };
      }
      if (code && NEEDS_REPLACEMENT.has(code)) return this.post({ ...scope, channelId: channel }, view);
      throw err;
    }
  }

  async post(scope: TaskScope, view: CardView): Promise<Written<CardHandle>> {
    await this.quiet();
    const answered = this.channelWrite(scope.guildId, scope.channelId, 'post');
    const client = await this.workspaces.clientFor(scope.guildId);
    const message = cardMessage(view);
    try {
      const res = await client.chat.postMessage({
        channel: scope.channelId,
        text: message.text,
        blocks: message.blocks,
      });
      return { value: { ...SlackHandle.parse({ channel: res.channel ?? scope.channelId, ts: res.ts }) } };
    } catch (err) {
      const wait = rateLimitMs(err);
      if (wait !== undefined) {
        this.channelGate(scope.guildId, scope.channelId).refused(wait);
        throw new PortRateLimitError(wait, { cause: err });
      }
      const code = slackErrorCode(err);
      throw code ? new CardPostError(code, { cause: err }) : err;
    } finally {
      answered();
    }
  }

  async delete(handle: CardHandle, scope: TaskScope): Promise<Written<void>> {
    await this.quiet();
    const { channel, ts } = parseHandle(handle);
    const client = await this.workspaces.clientFor(scope.guildId);
    try {
      await client.chat.delete({ channel, ts });
    } catch (err) {
      const wait = rateLimitMs(err);
      if (wait !== undefined) throw new PortRateLimitError(wait, { cause: err });
      const code = slackErrorCode(err);
      // Already gone is what we wanted.
      if (code !== 'message_not_found' && code !== 'channel_not_found') throw err;
    }
    return { value: undefined };
  }

  async replyPrivate(
    target: ReplyTarget,
    view: PrivateView,
    scope: TaskScope,
    replace = false,
  ): Promise<Written<void>> {
    await this.quiet();
    const t = SlackReplyTarget.parse(target);
    const { text, blocks } = privateMessage(view);
    if (t.responseUrl) {
      try {
        const body = replace
          ? { replace_original: true, text, blocks }
          : { response_type: 'ephemeral', replace_original: false, text, blocks };
        const res = await this.fetch(t.responseUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        if (res.status === 429)
          throw new PortRateLimitError(Math.max(1, Number(res.headers.get('retry-after') ?? '1')) * 1000);
        if (res.ok) return { value: undefined };
        this.log.warn(
          { status: res.status, channel: t.channel },
          'response_url refused; falling back to chat.postEphemeral',
        );
      } catch (err) {
        if (err instanceof PortRateLimitError) throw err;
        this.log.warn({ err, channel: t.channel }, 'response_url failed; falling back to chat.postEphemeral');
      }
    }
    const client = await this.workspaces.clientFor(scope.guildId);
    try {
      // Tier 4, per workspace (https://api.slack.com/apis/rate-limits): not the channel's post pace; a 429 says when.
      await client.chat.postEphemeral({ channel: t.channel, user: t.user, text, blocks });
      return { value: undefined };
    } catch (err) {
      const wait = rateLimitMs(err);
      if (wait !== undefined) throw new PortRateLimitError(wait, { cause: err });
      throw err;
    }
  }

  /** Throws the port's typed errors for 429 and gone messages; returns Slack's error code otherwise. */
  private translate(err: unknown): string | undefined {
    const wait = rateLimitMs(err);
    if (wait !== undefined) throw new PortRateLimitError(wait, { cause: err });
    const code = slackErrorCode(err);
    if (code && GONE.has(code)) throw new CardGoneError(`card message is gone (${code})`, { cause: err });
    return code;
  }
}
