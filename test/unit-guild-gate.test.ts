/** The Discord server gate's decisions, GIVEN/THEN, and its refusal of each kind of interaction. */
import type { Interaction } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { GuildGate, guildVerdict, policyOf, type GuildRefusalAnswer } from '../src/platforms/discord/guild-gate.js';

const member = (id: string) => id === 'in';
const listed = { kind: 'listed', guildIds: new Set(['A']) } as const;

describe('guildVerdict / policyOf', () => {
  it('GIVEN a list THEN only the listed servers are served; no server (a DM) never is', () => {
    expect(guildVerdict(listed, 'A', member)).toBe('serve');
    expect(guildVerdict(listed, 'in', member)).toBe('not-listed');
    expect(guildVerdict(listed, null, member)).toBe('no-server');
    expect(guildVerdict(listed, '', member)).toBe('no-server');
  });

  it('GIVEN no list THEN Discord’s bot_public decides; an unreadable answer refuses', () => {
    expect(policyOf([], { bot_public: false, id: '1' })).toEqual({ kind: 'owner-only' });
    expect(policyOf([], { bot_public: true })).toEqual({ kind: 'public' });
    expect(policyOf([], { id: '1' })).toEqual({ kind: 'unchecked' });
    expect(policyOf([], { bot_public: 'false' })).toEqual({ kind: 'unchecked' });
    expect(policyOf(['A'], { bot_public: true }).kind).toBe('listed');
    expect(guildVerdict({ kind: 'owner-only' }, 'in', member)).toBe('serve');
    expect(guildVerdict({ kind: 'owner-only' }, 'elsewhere', member)).toBe('not-member');
    expect(guildVerdict({ kind: 'public' }, 'in', member)).toBe('public-app');
    expect(guildVerdict({ kind: 'unchecked' }, 'in', member)).toBe('unchecked');
  });
});

/** Just what the gate reads of an interaction. */
function interaction(kind: 'command' | 'button' | 'autocomplete', guildId: string | null) {
  return {
    id: `i-${kind}`,
    token: 't',
    replied: false,
    responded: false,
    guildId,
    user: { id: 'u1' },
    isAutocomplete: () => kind === 'autocomplete',
    isRepliable: () => kind !== 'autocomplete',
  } as unknown as Interaction;
}

function recorder() {
  const sent: Array<{ type: string; body: unknown }> = [];
  const answer: GuildRefusalAnswer = {
    respond: async (_i, type, data) => void sent.push({ type: `respond ${type}`, body: data }),
    autocomplete: async (_i, choices) => void sent.push({ type: 'autocomplete', body: choices }),
  };
  return { sent, answer };
}

function gate(fetchApplication: () => Promise<unknown>, guildIds: string[] = [], recheckMs = 60_000) {
  const logs: string[] = [];
  let now = 0;
  const g = new GuildGate({
    guildIds,
    fetchApplication,
    isMember: member,
    log: createLogger({ level: 'info', secrets: [], out: { write: (l: string) => logs.push(l) } }),
    now: () => now,
    recheckMs,
  });
  return { g, logs, advance: (ms: number) => (now += ms) };
}

describe('GuildGate', () => {
  it('refuses a command, a button and an autocomplete from an unlisted server privately, one log line each', async () => {
    const { g, logs } = gate(() => Promise.reject(new Error('never asked with a list')), ['A']);
    const { sent, answer } = recorder();
    for (const kind of ['command', 'button', 'autocomplete'] as const)
      expect(await g.refuse(interaction(kind, 'B'), answer)).toBe(true);
    expect(await g.refuse(interaction('command', 'A'), answer)).toBe(false);
    expect(sent.map((s) => s.type)).toEqual(['respond 4', 'respond 4', 'autocomplete']);
    expect(sent[0]?.body).toMatchObject({ flags: 64 });
    expect(sent[2]?.body).toEqual([]);
    const lines = logs.filter((l) => l.includes('interaction refused'));
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(JSON.parse(l)).toMatchObject({ guild: 'B' });
  });

  it('Discord unreachable at start: refuses (safe), logs it, and asks again later', async () => {
    let answer: () => Promise<unknown> = () => Promise.reject(new Error('ECONNREFUSED'));
    const { g, logs, advance } = gate(() => answer(), [], 1000);
    expect((await g.ready()).kind).toBe('unchecked');
    expect(logs.some((l) => l.includes('could not ask Discord'))).toBe(true);
    expect(await g.verdict('in')).toBe('unchecked');
    answer = () => Promise.resolve({ bot_public: false });
    // Too soon to ask again.
    expect(await g.verdict('in')).toBe('unchecked');
    advance(1000);
    expect(await g.verdict('in')).toBe('unchecked');
    await new Promise((r) => setImmediate(r));
    expect(await g.verdict('in')).toBe('serve');
  });
});
