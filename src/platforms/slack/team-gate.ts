import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import { z } from 'zod';
import type { Logger } from '../../log.js';

/**
 * The bot serves one workspace: the one its SLACK_BOT_TOKEN belongs to (auth.test's team_id).
 * A request signed with the app's signing secret can still come from another workspace (the
 * app distributed to other workspaces, or a Slack Connect channel shared with one): it would
 * spend the operator's Kling credit. Such requests are refused before any listener runs.
 */

/**
 * Where each kind of request names its workspace: slash commands `team_id`; interactions `team.id`, else
 * `user.team_id`.
 */
const TeamFields = z.object({
  team_id: z.string().min(1).optional().catch(undefined),
  team: z
    .object({ id: z.string().min(1) })
    .nullish()
    .catch(undefined),
  user: z
    .object({ team_id: z.string().min(1).optional() })
    .nullish()
    .catch(undefined),
});

/** The workspace a request comes from (pure), undefined when it names none. */
export function teamOfBody(body: unknown): string | undefined {
  const parsed = TeamFields.safeParse(body);
  if (!parsed.success) return undefined;
  return parsed.data.team_id ?? parsed.data.team?.id ?? parsed.data.user?.team_id;
}

export type TeamVerdict = 'serve' | 'foreign' | 'no-team' | 'own-unknown';

/** GIVEN the token's own workspace and the request's, THEN whether it is served (pure). */
export function teamVerdict(own: string | undefined, from: string | undefined): TeamVerdict {
  // auth.test has not answered yet: which workspace is ours is unknown, so refuse (the safe side).
  if (!own) return 'own-unknown';
  if (!from) return 'no-team';
  return from === own ? 'serve' : 'foreign';
}

export const FOREIGN_TEAM_TEXT = 'kling-bot serves only the workspace it was installed in. Nothing was sent to Kling.';
const NOT_READY_TEXT = 'kling-bot could not confirm its own workspace with Slack yet. Try again in a minute.';

/**
 * Bolt middleware (runs before every listener): anything not from the token's own workspace is
 * acknowledged (a slash command with a private line saying why) and goes no further, with one log
 * line naming the workspace. `ownTeam` retries auth.test until it has answered once.
 */
export function teamGate(ownTeam: () => Promise<string | undefined>, log: Logger): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const from = teamOfBody(args.body);
    const verdict = teamVerdict(await ownTeam(), from);
    if (verdict === 'serve') return args.next();
    log.warn({ team: from, verdict }, 'slack request refused: not from the workspace this bot serves');
    if (!('ack' in args) || typeof args.ack !== 'function') return;
    const isCommand = typeof (args.body as { command?: unknown }).command === 'string';
    const ack = args.ack as (response?: unknown) => Promise<void>;
    await ack(
      isCommand
        ? { response_type: 'ephemeral', text: verdict === 'own-unknown' ? NOT_READY_TEXT : FOREIGN_TEAM_TEXT }
        : undefined,
    );
  };
}
