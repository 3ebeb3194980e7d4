import type { Platform, TaskScope } from '../domain.js';
import type { PlatformPort } from '../port.js';
import { ChannelOutbox } from './channel-outbox.js';
import type { ChannelOutboxDeps } from './slots.js';

export const channelKeyOf = (scope: Pick<TaskScope, 'platform' | 'guildId' | 'channelId'>) =>
  `${scope.platform}:${scope.guildId}:${scope.channelId}`;

/** What every channel outbox gets (each its platform's port), and when an idle one is dropped. */
export interface OutboxesDeps extends Omit<ChannelOutboxDeps, 'port'> {
  /** An outbox with nothing to do for this long is dropped (its pacing is relearned on the next write). */
  idleMs?: number;
}

const IDLE_MS = 10 * 60_000;
const SWEEP_EVERY_MS = 60_000;

/** The platform ports, registered once each, and one outbox per channel made on first use. */
export class Outboxes {
  private readonly ports = new Map<Platform, PlatformPort>();
  private readonly channels = new Map<string, ChannelOutbox>();
  private stopped = false;
  private sweptAt = 0;

  constructor(private readonly deps: OutboxesDeps) {}

  addPort(port: PlatformPort): void {
    this.ports.set(port.platform, port);
  }

  port(platform: Platform): PlatformPort | undefined {
    return this.ports.get(platform);
  }

  /** The channel's outbox; undefined when its platform has no port (or after stop). */
  for(scope: Pick<TaskScope, 'platform' | 'guildId' | 'channelId'>): ChannelOutbox | undefined {
    const key = channelKeyOf(scope);
    // Every write asks for its outbox: a cheap moment to drop the idle ones now and then.
    if (this.deps.now() - this.sweptAt > SWEEP_EVERY_MS) this.evictIdle();
    let outbox = this.channels.get(key);
    if (outbox || this.stopped) return outbox;
    const port = this.ports.get(scope.platform);
    if (!port) return undefined;
    outbox = new ChannelOutbox(key, {
      port,
      log: this.deps.log,
      metrics: this.deps.metrics,
      now: this.deps.now,
      ...(this.deps.timers ? { timers: this.deps.timers } : {}),
      onPosted: this.deps.onPosted,
      onShown: this.deps.onShown,
      onGone: this.deps.onGone,
      ...(this.deps.media ? { media: this.deps.media } : {}),
      ...(this.deps.mayMention ? { mayMention: this.deps.mayMention } : {}),
    });
    this.channels.set(key, outbox);
    return outbox;
  }

  /** Only if it exists already (nothing is made for a lookup). */
  existing(scope: Pick<TaskScope, 'platform' | 'guildId' | 'channelId'>): ChannelOutbox | undefined {
    return this.channels.get(channelKeyOf(scope));
  }

  size(): number {
    return this.channels.size;
  }

  /** Drops outboxes that hold nothing and have been quiet for a while, so many channels over time cost nothing. */
  evictIdle(): void {
    this.sweptAt = this.deps.now();
    const before = this.deps.now() - (this.deps.idleMs ?? IDLE_MS);
    for (const [key, outbox] of this.channels) {
      if (outbox.idle() && outbox.lastActiveAt <= before) {
        outbox.stop();
        this.channels.delete(key);
      }
    }
  }

  /** Drops every outbox without sending (this replica stopped leading). */
  clear(): void {
    for (const outbox of this.channels.values()) outbox.stop();
    this.channels.clear();
  }

  async drain(deadlineMs: number): Promise<void> {
    await Promise.all([...this.channels.values()].map((o) => o.drain(deadlineMs)));
  }

  stop(): void {
    this.stopped = true;
    this.clear();
  }
}
