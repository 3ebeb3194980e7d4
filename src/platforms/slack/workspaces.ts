import type { Logger as BoltLogger } from '@slack/bolt';
import { WebAPIPlatformError, WebAPIRateLimitedError, WebClient } from '@slack/web-api';
import { messageOf } from '../../error-fields.js';

/** Who the bot is in a workspace (auth.test), for Bolt's authorize result. */
export interface BotIdentity {
  botId?: string;
  botUserId?: string;
  teamId?: string;
  /** The token's scopes, from Slack's `x-oauth-scopes` header (absent when Slack did not say). */
  scopes?: string[];
}

export interface SlackWorkspacesOptions {
  botToken: string;
  /** Slack Web API base (SLACK_API_URL). */
  apiUrl: string;
  logger: BoltLogger;
  /** Per-request timeout, so a hung Slack cannot stall a channel's edit queue. */
  timeoutMs?: number;
}

/** Slack's answer meant "this token is not valid": start-up must stop, not retry. */
const BAD_TOKEN_ERRORS = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired']);

export class SlackTokenError extends Error {
  constructor(readonly slackError: string) {
    super(
      `Slack rejected SLACK_BOT_TOKEN (${slackError}); check the Bot User OAuth Token (xoxb-…) of the installed app`,
    );
    this.name = 'SlackTokenError';
  }
}

/**
 * Tokens and Web API clients per workspace. Today one workspace is served with SLACK_BOT_TOKEN;
 * adding OAuth means replacing `tokenFor` with an installation-store lookup (and passing the
 * same function to Bolt's `authorize`), nothing else.
 */
export class SlackWorkspaces {
  private readonly clients = new Map<string, WebClient>();
  private identityCache?: BotIdentity;

  constructor(private readonly o: SlackWorkspacesOptions) {}

  async tokenFor(_teamId: string | undefined): Promise<string> {
    return this.o.botToken;
  }

  /**
   * A client that never waits or retries by itself (WebClient's default policy can block a call
   * for ~30 minutes): a 429 is thrown with its Retry-After and the channel's outbox alone decides
   * when to try again.
   */
  async clientFor(teamId: string | undefined): Promise<WebClient> {
    const token = await this.tokenFor(teamId);
    let client = this.clients.get(token);
    if (!client) {
      client = new WebClient(token, {
        slackApiUrl: this.o.apiUrl,
        logger: this.o.logger,
        rejectRateLimitedCalls: true,
        retryConfig: { retries: 0 },
        timeout: this.o.timeoutMs ?? 10_000,
      });
      this.clients.set(token, client);
    }
    return client;
  }

  /**
   * auth.test once at start: a wrong token stops start-up with a clear line; a network problem
   * only delays learning the bot's ids (commands work without them).
   */
  async identity(teamId?: string): Promise<BotIdentity> {
    if (this.identityCache) return this.identityCache;
    const client = await this.clientFor(teamId);
    try {
      const res = await client.auth.test();
      this.identityCache = {
        ...(res.bot_id ? { botId: res.bot_id } : {}),
        ...(res.user_id ? { botUserId: res.user_id } : {}),
        ...(res.team_id ? { teamId: res.team_id } : {}),
        ...(res.response_metadata?.scopes ? { scopes: res.response_metadata.scopes } : {}),
      };
      return this.identityCache;
    } catch (err) {
      const code = slackErrorCode(err);
      if (code && BAD_TOKEN_ERRORS.has(code)) throw new SlackTokenError(code);
      this.o.logger.warn('auth.test failed; continuing without the bot identity', messageOf(err));
      return {};
    }
  }
}

/** Slack's `error` string of a failed Web API call (`ok: false`), if that is what `err` is. */
export function slackErrorCode(err: unknown): string | undefined {
  if (err instanceof WebAPIPlatformError) return err.data.error;
  return undefined;
}

/** Milliseconds Slack asked us to wait, if `err` is a rejected rate-limited call. */
export function rateLimitMs(err: unknown): number | undefined {
  if (err instanceof WebAPIRateLimitedError) return Math.max(0, err.retryAfter) * 1000;
  return undefined;
}
