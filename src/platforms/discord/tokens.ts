import { TOKEN_LIFETIME_MS, type DiscordCardHandle } from './handles.js';

const DEAD_TOKEN_MEMORY_MS = TOKEN_LIFETIME_MS;
const MAX_DEAD_TOKENS = 10_000;

/**
 * Which interaction tokens may still edit a card: a token lives 15 minutes, and one Discord
 * refused is never used again (using a refused token again counts towards a ban).
 */
export class InteractionTokens {
  /** Tokens Discord refused once, until they would have expired anyway. */
  private readonly dead = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  retire(token: string): void {
    const t = this.now();
    for (const [old, until] of this.dead) if (until <= t || this.dead.size >= MAX_DEAD_TOKENS) this.dead.delete(old);
    this.dead.set(token, t + DEAD_TOKEN_MEMORY_MS);
  }

  deadCount(): number {
    return this.dead.size;
  }

  /** The card's webhook token if it can still be used, else undefined. */
  live(h: DiscordCardHandle): string | undefined {
    if (h.route !== 'webhook' || !h.token || this.dead.has(h.token)) return undefined;
    if (h.tokenExpiresAt === undefined || this.now() >= h.tokenExpiresAt) return undefined;
    return h.token;
  }
}
