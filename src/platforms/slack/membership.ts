import type { webApi } from '@slack/bolt';
import type { Logger } from '../../log.js';
import { slackErrorCode } from './workspaces.js';

/**
 * Can the bot post a card in this channel? Asked before a generation command runs, so a task is
 * never paid for in a channel where its card cannot appear (a private channel the bot was not
 * invited to, a DM between two people). Public channels work without membership
 * (chat:write.public). Only a clear "no" refuses: when Slack cannot say (missing scope, rate
 * limit, network), the command goes ahead as before and the card's own post decides.
 */
export type PostCheck = 'yes' | 'no' | 'unknown';

/** A "yes" holds this long: membership rarely changes, and each check is a Tier 3 call. */
const YES_TTL_MS = 5 * 60_000;

export class ChannelMembership {
  private readonly yes = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async canPost(client: Pick<webApi.WebClient, 'conversations'>, teamId: string, channel: string): Promise<PostCheck> {
    const key = `${teamId}:${channel}`;
    const until = this.yes.get(key);
    if (until !== undefined && until > this.now()) return 'yes';
    try {
      const info = await client.conversations.info({ channel });
      const c = info.channel;
      const open =
        c !== undefined && (c.is_member === true || (c.is_private !== true && c.is_im !== true && c.is_mpim !== true));
      if (!open) return 'no';
      if (this.yes.size > 10_000) this.yes.clear();
      this.yes.set(key, this.now() + YES_TTL_MS);
      return 'yes';
    } catch (err) {
      const code = slackErrorCode(err);
      // A private channel or DM the bot is not in is invisible to it: "not found" is the answer.
      if (code === 'channel_not_found' || code === 'not_in_channel') return 'no';
      this.log.warn({ err, code, channel }, 'could not check whether the bot can post here; going ahead');
      return 'unknown';
    }
  }

  /** The bot was just seen failing to post here (e.g. removed from the channel). */
  forget(teamId: string, channel: string): void {
    this.yes.delete(`${teamId}:${channel}`);
  }
}
