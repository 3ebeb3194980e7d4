import { setTimeout as sleep } from 'node:timers/promises';
import { isFinal, type CardHandle, type TaskScope } from '../../domain.js';
import type { Logger } from '../../log.js';
import { CardGoneError, PortRateLimitError, type CardPort } from '../../port.js';
import type { CardView } from '../../render/view.js';
import { cardMessage, plainCardMessage, type SlackMessage } from './blocks.js';
import { SlackHandle } from './payloads.js';
import { DEFAULT_WORKSPACE_BUDGET, WorkspaceGate, type Budget } from './workspace-gate.js';
import { rateLimitMs, slackErrorCode, type SlackWorkspaces } from './workspaces.js';

/** The message (or its channel) is gone or no longer ours to edit: the tracker stops. */
const GONE = new Set(['message_not_found', 'channel_not_found', 'is_archived', 'cant_update_message', 'not_in_channel', 'thread_locked']);
/** Slack refused the content: fall back to the minimal card rather than never showing the end. */
const BAD_CONTENT = new Set(['invalid_blocks', 'invalid_blocks_format', 'msg_blocks_too_long', 'msg_too_long', 'invalid_attachments']);
/** Slack will not let this message be edited any more; a fresh card replaces it. */
const NEEDS_REPLACEMENT = new Set(['edit_window_closed']);

/** Waiting longer than this inside a user's command is worse than telling them the card failed. */
const MAX_POST_WAIT_MS = 10_000;
const POST_ATTEMPTS = 3;

/** A card could not be posted in the channel (e.g. not_in_channel in a private channel or DM). */
export class CardPostError extends Error {
  constructor(
    readonly slackError: string,
    options?: { cause?: unknown },
  ) {
    super(`could not post the card: ${slackError}`, options);
    this.name = 'CardPostError';
  }
}

/** Reads a stored handle back; anything else means there is no message to touch. */
export function parseHandle(handle: CardHandle): SlackHandle {
  const parsed = SlackHandle.safeParse(handle);
  if (!parsed.success) throw new CardGoneError('not a Slack card handle');
  return parsed.data;
}

/**
 * The tracker's view of Slack: post with chat.postMessage, edit with chat.update (never
 * response_url: 5 uses, 30 minutes), delete with chat.delete. A 429 becomes PortRateLimitError so
 * the channel tracker pauses for exactly Retry-After.
 */
export class SlackCardPort implements CardPort {
  readonly platform = 'slack' as const;
  /** Per channel: Slack allows about one message per second per channel; the workspace gate does the rest. */
  readonly editBudget = { capacity: 3, refillPerSec: 1 };
  private readonly gates = new Map<string, WorkspaceGate>();
  private readonly workspaceBudget: Budget;
  private readonly now: () => number;

  constructor(
    private readonly workspaces: SlackWorkspaces,
    private readonly log: Logger,
    options: { workspaceBudget?: Budget; now?: () => number } = {},
  ) {
    this.workspaceBudget = options.workspaceBudget ?? DEFAULT_WORKSPACE_BUDGET;
    this.now = options.now ?? Date.now;
  }

  private gate(teamId: string): WorkspaceGate {
    let gate = this.gates.get(teamId);
    if (!gate) {
      gate = new WorkspaceGate(this.workspaceBudget, this.now);
      this.gates.set(teamId, gate);
    }
    return gate;
  }

  async editCard(handle: CardHandle, view: CardView, scope: TaskScope): Promise<CardHandle | void> {
    const { channel, ts } = parseHandle(handle);
    const gate = this.gate(scope.guildId);
    const wait = gate.take(isFinal(view.state));
    if (wait > 0) throw new PortRateLimitError(wait, { source: 'budget' });
    const client = await this.workspaces.clientFor(scope.guildId);
    const update = (message: SlackMessage) => client.chat.update({ channel, ts, text: message.text, blocks: message.blocks });
    // A 429 on chat.update speaks for the whole workspace.
    const failed = (err: unknown) => {
      const wait = rateLimitMs(err);
      if (wait !== undefined) gate.block(wait);
      return this.translate(err);
    };
    try {
      await update(cardMessage(view));
    } catch (err) {
      const code = failed(err);
      if (code && BAD_CONTENT.has(code)) {
        this.log.warn({ taskId: view.taskId, slackError: code }, 'Slack refused the card blocks; showing the plain card');
        try {
          await update(plainCardMessage(view));
        } catch (plainErr) {
          failed(plainErr);
          throw plainErr;
        }
        return;
      }
      if (code && NEEDS_REPLACEMENT.has(code)) return this.postCard({ ...scope, channelId: channel }, view);
      throw err;
    }
  }

  async postCard(scope: TaskScope, view: CardView): Promise<CardHandle> {
    const client = await this.workspaces.clientFor(scope.guildId);
    const message = cardMessage(view);
    try {
      const res = await client.chat.postMessage({ channel: scope.channelId, text: message.text, blocks: message.blocks });
      return this.handleOf(res, scope.channelId);
    } catch (err) {
      const wait = rateLimitMs(err);
      if (wait !== undefined) throw new PortRateLimitError(wait, { cause: err });
      const code = slackErrorCode(err);
      throw code ? new CardPostError(code, { cause: err }) : err;
    }
  }

  /**
   * A command's first post: a short 429 is waited out here (Retry-After), since the alternative is
   * a task without a card. Anything else is thrown, and the core tells the user privately.
   */
  async openCard(scope: TaskScope, view: CardView): Promise<CardHandle> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.postCard(scope, view);
      } catch (err) {
        const wait = err instanceof PortRateLimitError ? err.retryAfterMs : undefined;
        if (wait === undefined || wait > MAX_POST_WAIT_MS || attempt >= POST_ATTEMPTS) throw err;
        await sleep(wait);
      }
    }
  }

  async deleteCard(handle: CardHandle, scope: TaskScope): Promise<void> {
    const { channel, ts } = parseHandle(handle);
    const client = await this.workspaces.clientFor(scope.guildId);
    for (let attempt = 1; ; attempt++) {
      try {
        await client.chat.delete({ channel, ts });
        return;
      } catch (err) {
        const wait = rateLimitMs(err);
        if (wait !== undefined && wait <= MAX_POST_WAIT_MS && attempt < POST_ATTEMPTS) {
          await sleep(wait);
          continue;
        }
        const code = slackErrorCode(err);
        // Already gone is what we wanted.
        if (code === 'message_not_found' || code === 'channel_not_found') return;
        throw err;
      }
    }
  }

  private handleOf(res: { channel?: string; ts?: string }, fallbackChannel: string): CardHandle {
    const handle = SlackHandle.parse({ channel: res.channel ?? fallbackChannel, ts: res.ts });
    return { ...handle };
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
