import type { Platform } from '../domain.js';

/**
 * The store's key names, shared by both backends so that data written by one version reads in the
 * next: keyv adds its namespace (`kb:` in SQLite, `kb::` in Redis for the records), and the Redis
 * backend prefixes its native lists, sets and counters with `kb:` (redis-collections.ts).
 */

export const recordKey = (id: string) => `t:${id}`;
export const klingKey = (klingTaskId: string) => `k:${klingTaskId}`;

/** One newest-first list of tasks: a channel's or a user's, in one server. */
export type TaskIndex =
  { platform: Platform; guildId: string; channelId: string } | { platform: Platform; guildId: string; userId: string };

const scopeKey = (platform: string, guildId: string) => `${platform}:${guildId}`;

/** The index's name: `ch:<platform>:<server>:<channel>` or `us:<platform>:<server>:<user>`. */
export const indexKey = (index: TaskIndex): string =>
  'userId' in index
    ? `us:${scopeKey(index.platform, index.guildId)}:${index.userId}`
    : `ch:${scopeKey(index.platform, index.guildId)}:${index.channelId}`;

/** Counts an index's deleted tasks (they stay in the index). */
export const deletedKey = (index: TaskIndex) => `del:${indexKey(index)}`;

/** A server's count of tasks created on one UTC day. */
export const dayCounter = (platform: Platform, guildId: string, day: string) =>
  `cnt:${scopeKey(platform, guildId)}:${day}`;

export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
