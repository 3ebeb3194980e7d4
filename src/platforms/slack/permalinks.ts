import { z } from 'zod';
import type { CardHandle } from '../../domain.js';
import type { Logger } from '../../log.js';
import { SlackHandle } from './payloads.js';
import { slackErrorCode, type SlackWorkspaces } from './workspaces.js';

const Permalink = z.object({ permalink: z.string().url().startsWith('https://') });

/** Links kept (a message's permalink never changes); the oldest goes first past this. */
const KEEP = 5000;
/** A private answer does not wait longer than this for its links; it goes without them. */
const DEADLINE_MS = 2000;

/**
 * Links to card messages for /task and /tasks, from chat.getPermalink
 * (https://docs.slack.dev/reference/methods/chat.getPermalink). Asked rather than built: the host
 * differs by workspace and Enterprise Grid, and only Slack knows it. Asked in parallel, once per
 * message; a card Slack will not link (deleted, no access, too slow) is listed without one.
 */
export class SlackPermalinks {
  private readonly known = new Map<string, string>();

  constructor(
    private readonly workspaces: SlackWorkspaces,
    private readonly log: Logger,
    private readonly deadlineMs = DEADLINE_MS,
  ) {}

  async linksFor(teamId: string, handles: ReadonlyArray<CardHandle | undefined>): Promise<Array<string | undefined>> {
    const client = await this.workspaces.clientFor(teamId);
    const one = async (handle: CardHandle | undefined): Promise<string | undefined> => {
      const h = SlackHandle.safeParse(handle);
      if (!h.success) return undefined;
      const key = `${h.data.channel}/${h.data.ts}`;
      const hit = this.known.get(key);
      if (hit) return hit;
      let timer: NodeJS.Timeout | undefined;
      try {
        const late = new Promise<undefined>(
          (resolve) => (timer = setTimeout(() => resolve(undefined), this.deadlineMs)),
        );
        const res = await Promise.race([
          client.chat.getPermalink({ channel: h.data.channel, message_ts: h.data.ts }),
          late,
        ]);
        const link = Permalink.safeParse(res).data?.permalink;
        if (!link) return undefined;
        if (this.known.size >= KEEP) this.known.delete(this.known.keys().next().value ?? '');
        this.known.set(key, link);
        return link;
      } catch (err) {
        this.log.debug({ slackError: slackErrorCode(err) ?? String(err) }, 'no permalink for a card');
        return undefined;
      } finally {
        clearTimeout(timer);
      }
    };
    return Promise.all(handles.map(one));
  }
}
