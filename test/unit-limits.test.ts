/**
 * Limits and permissions (README, Configuration; issue 9 findings 5 and 7): who is an admin on Discord is the
 * operator's choice, and nothing — no admin, no race — gets past the server's daily cap.
 */
import { PermissionFlagsBits, PermissionsBitField } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Invocation } from '../commands/types.js';
import { RefusedError } from '../src/errors.js';
import { invocationOf, type AdminPermission } from '../src/platforms/discord/interactions.js';
import type { DiscordInteraction } from '../src/platforms/discord/handles.js';
import { Cleanup, makeCore, makeInv, makeIo, startSim, waitFor } from './helpers/core-harness.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

const IMAGE = { kind: 'image', prompt: 'a lighthouse', model: 'kling-v2', aspect_ratio: '1:1', n: 1 } as const;

/** Just what invocationOf reads of a discord.js interaction. */
function interactionWith(permissions: bigint[]): DiscordInteraction {
  const fake = {
    guildId: 'g1',
    channelId: 'c1',
    member: { roles: [], nick: 'ann' },
    user: { id: 'u1', displayName: 'ann' },
    memberPermissions: new PermissionsBitField(permissions),
  };
  return fake as unknown as DiscordInteraction;
}

describe('DISCORD_ADMIN_PERMISSION', () => {
  const cases: Array<[AdminPermission, 'Administrator' | 'ManageGuild' | 'SendMessages', boolean]> = [
    ['administrator', 'Administrator', true],
    ['administrator', 'ManageGuild', false],
    ['manage_guild', 'ManageGuild', true],
    ['manage_guild', 'Administrator', true],
    ['manage_guild', 'SendMessages', false],
    ['none', 'Administrator', false],
  ];
  it.each(cases)('GIVEN %s and a member with %s THEN admin is %s', (setting, perm, admin) => {
    expect(invocationOf(interactionWith([PermissionFlagsBits[perm]]), setting).user.isAdmin).toBe(admin);
  });
});

const admin = (inv: Invocation): Invocation => ({ ...inv, user: { ...inv.user, isAdmin: true } });

describe('the server daily cap', () => {
  it('GIVEN an admin (by permission or ADMIN_USER_IDS) THEN per-user caps and allowlists do not apply, the server cap does', async () => {
    const sim = await startSim(cleanup);
    const rig = await makeCore(cleanup, sim, {
      USER_MAX_DAILY_TASKS: '1',
      GUILD_MAX_DAILY_TASKS: '3',
      ALLOWED_CHANNEL_IDS: 'elsewhere',
      ADMIN_USER_IDS: 'boss',
    });
    const byPermission = admin(makeInv({ userId: 'perm' }));
    const byList = makeInv({ userId: 'boss' });
    const tasks = rig.core.services.tasks;
    await tasks.submit(byPermission, makeIo(rig.port, byPermission), IMAGE);
    await tasks.submit(byPermission, makeIo(rig.port, byPermission), IMAGE);
    await tasks.submit(byList, makeIo(rig.port, byList), IMAGE);
    const refusal = await tasks.submit(byList, makeIo(rig.port, byList), IMAGE).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(RefusedError);
    expect((refusal as RefusedError).code).toBe('guild_daily_cap');
    expect((refusal as RefusedError).userMessage).toMatch(/server/i);
    await waitFor('the three admitted tasks at Kling', () => sim.tasks().length >= 3);
    expect(sim.tasks()).toHaveLength(3);
  });

  it('GIVEN 10 members submitting at the same moment and GUILD_MAX_DAILY_TASKS=3 THEN exactly 3 tasks are created; the other 7 are refused with the server cap', async () => {
    const sim = await startSim(cleanup);
    const rig = await makeCore(cleanup, sim, { GUILD_MAX_DAILY_TASKS: '3' });
    const members = Array.from({ length: 10 }, (_, i) => makeInv({ userId: `member${i}` }));
    const outcomes = await Promise.allSettled(
      members.map((inv) => rig.core.services.tasks.submit(inv, makeIo(rig.port, inv), IMAGE)),
    );
    const created = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(created).toHaveLength(3);
    expect(refused).toHaveLength(7);
    for (const err of refused) expect(err).toMatchObject({ code: 'guild_daily_cap' });
    const today = new Date().toISOString().slice(0, 10);
    expect(await rig.core.storage.counts.countOn('console', 'g1', today)).toBe(3);
    await waitFor('the three tasks at Kling', () => sim.tasks().length >= 3);
    expect(sim.tasks()).toHaveLength(3);
  });
});

describe('USER_MAX_ACTIVE_TASKS (issue 16, finding 10)', () => {
  it('GIVEN two tasks of the user still running from two days ago THEN they count: a third is refused at the default cap of 2', async () => {
    const sim = await startSim(cleanup);
    // The harness turns the cap off; this is its default (.env.example, README Configuration).
    const rig = await makeCore(cleanup, sim, { USER_MAX_ACTIVE_TASKS: '2' }, undefined, { start: false });
    const inv = makeInv({ userId: 'slow' });
    const createdAt = Date.now() - 2 * 86_400_000;
    const old = ['kbold00000001', 'kbold00000002'];
    for (const [i, id] of old.entries()) {
      const refusal = await rig.core.store.admit({
        id,
        scope: {
          platform: inv.platform,
          guildId: inv.guildId,
          channelId: inv.channelId,
          userId: 'slow',
          userName: 'slow',
        },
        request: IMAGE,
        state: 'processing',
        klingTaskId: `old-${i}`,
        createdAt,
        updatedAt: createdAt,
      });
      expect(refusal).toBeUndefined();
    }
    // Another user's old task and the user's own finished one do not count.
    await rig.core.store.admit({
      id: 'kbold00000003',
      scope: { platform: inv.platform, guildId: inv.guildId, channelId: inv.channelId, userId: 'other', userName: 'o' },
      request: IMAGE,
      state: 'processing',
      klingTaskId: 'old-3',
      createdAt,
      updatedAt: createdAt,
    });
    const refused = await rig.core.services.tasks.submit(inv, makeIo(rig.port, inv), IMAGE).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RefusedError);
    expect((refused as RefusedError).code).toBe('user_active_cap');
    expect((await rig.core.services.limits.quota(inv)).active).toBe(2);
    expect(sim.calls.filter((c) => c.op === 'create')).toHaveLength(0);
    // Once one of them finishes, the user may go again.
    await rig.core.store.update('kbold00000001', (cur) => ({ ...cur, state: 'succeed', finalShown: true }));
    const rec = await rig.core.services.tasks.submit(inv, makeIo(rig.port, inv), IMAGE);
    expect(rec.state).toBe('pending');
    expect((await rig.core.services.limits.quota(inv)).active).toBe(2);
  });
});
