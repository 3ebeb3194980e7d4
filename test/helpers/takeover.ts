import type { ChildBot } from './bot-process.js';

/**
 * For the takeover tests: which of several bot processes holds the tracker lease, read from its
 * own log (the last "took" after the last "lost" or "stepping down").
 */
export function leadsNow(child: ChildBot): boolean {
  const out = child.output();
  const took = out.lastIndexOf('took the tracker lease');
  const lost = Math.max(out.lastIndexOf('lost the tracker lease'), out.lastIndexOf('stepping down'));
  return took >= 0 && took > lost;
}

/** The one child that leads; throws unless exactly one does. */
export function theLeader(children: readonly ChildBot[]): ChildBot {
  const leaders = children.filter(leadsNow);
  if (leaders.length !== 1) throw new Error(`expected one leader, found ${leaders.length}`);
  return leaders[0] as ChildBot;
}

/** Milliseconds from `from` to each time, sorted. */
export const delaysAfter = (from: number, times: readonly number[]): number[] =>
  times.map((t) => t - from).sort((a, b) => a - b);
