import { InteractionClosedError } from '../errors.js';
import type { ReplayCache } from './replay-cache.js';

/**
 * One paid task per command, with any number of replicas. Discord delivers every interaction to
 * each connection of the bot (two replicas both receive it), and Slack retries a request it thinks
 * went unanswered: before a record is admitted or counted, the request is claimed in the store,
 * atomically (Redis SET NX PX; on SQLite, one process, an insert-if-absent under a lock). The
 * replica that loses writes nothing, counts nothing and answers nothing: the winner answers.
 */

/** Longer than any redelivery: Discord's interaction token lives 15 minutes, Slack retries within minutes. */
export const CLAIM_TTL_MS = 15 * 60_000;

/**
 * Claims the request; throws InteractionClosedError (left alone, answered by nobody here) when another replica has it.
 */
export async function claimRequest(store: ReplayCache, requestKey: string | undefined): Promise<void> {
  if (requestKey === undefined) return;
  if (await store.firstSighting(`claim:${requestKey}`, CLAIM_TTL_MS)) return;
  throw new InteractionClosedError('another replica (or an earlier delivery) claimed this request; it answers');
}
