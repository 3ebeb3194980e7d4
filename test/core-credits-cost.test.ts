/**
 * /credits (the account's resource packs, admins only, cached a minute, a gateway key says it
 * cannot) and what tasks cost: the table's estimate on a running card, Kling's
 * final_unit_deduction when done, each task's units in /tasks and today's total in /quota.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Invocation } from '../commands/types.js';
import { CreditsService, CREDITS_CACHE_MS } from '../src/credits.js';
import { KlingClient } from '../src/kling/client.js';
import type { PrivateView } from '../src/render/view.js';
import {
  AK,
  API_KEY,
  Cleanup,
  makeCore,
  makeInv,
  makeIo,
  SK,
  startSim,
  waitFor,
  type CoreRig,
} from './helpers/core-harness.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

const textOf = (views: readonly PrivateView[]) =>
  views.map((v) => (v.kind === 'notice' ? `${v.title}: ${v.text}` : JSON.stringify(v))).join('\n');
const admin = (over: Parameters<typeof makeInv>[0] = {}): Invocation => {
  const inv = makeInv(over);
  return { ...inv, user: { ...inv.user, isAdmin: true } };
};

async function ask(rig: CoreRig, command: string, text: string, inv: Invocation) {
  const io = makeIo(rig.port, inv);
  await rig.dispatcher.runCommand(command, text, inv, io);
  return textOf(io.privates);
}

describe('/credits', () => {
  it('an admin sees each resource pack from GET /account/costs, with the ~12 h lag said; a second ask within the minute is served from the cache', async () => {
    const sim = await startSim(cleanup);
    const rig = await makeCore(cleanup, sim);
    const first = await ask(rig, 'credits', '', admin());
    expect(first).toContain('Video generation – 1000 units (decreasing_total): 842.5 of 1000 left');
    expect(first).toMatch(/expires \d{4}-\d{2}-\d{2} · active/);
    expect(first).toContain('Image generation – 200 units (decreasing_total): 0 of 200 left');
    expect(first).toContain('used up');
    expect(first).toContain('delay of up to about 12 hours');
    const call = sim.calls.find((c) => c.op === 'account');
    expect(call?.path).toMatch(/^\/account\/costs\?start_time=\d+&end_time=\d+$/);
    // The simulator answers a second query within a second with 429 (Kling's 1 QPS): the cache is what makes this work.
    const second = await ask(rig, 'credits', '', admin({ userId: 'u2' }));
    expect(second).toContain('842.5 of 1000 left');
    expect(sim.stats.accountCalls).toBe(1);
  });

  it('asks Kling again once the minute has passed; callers at the same moment share one call', async () => {
    let clock = Date.now();
    const now = () => clock;
    const sim = await startSim(cleanup, { now });
    const kling = new KlingClient({ baseUrl: sim.url, auth: { type: 'jwt', accessKey: AK, secretKey: SK }, now });
    const credits = new CreditsService({
      auth: { type: 'jwt', accessKey: AK, secretKey: SK },
      fetch: (s, e) => kling.accountCosts(s, e),
      now,
    });
    const [a, b] = await Promise.all([credits.get(), credits.get()]);
    expect(a).toEqual(b);
    expect(sim.stats.accountCalls).toBe(1);
    clock += CREDITS_CACHE_MS - 1000;
    await credits.get();
    expect(sim.stats.accountCalls).toBe(1);
    clock += 2000;
    const fresh = await credits.get();
    expect(sim.stats.accountCalls).toBe(2);
    expect(fresh.kind === 'packs' && fresh.fetchedAt).toBe(clock);
  });

  it('is refused to non-admins, privately, without asking Kling', async () => {
    const sim = await startSim(cleanup);
    const rig = await makeCore(cleanup, sim);
    expect(await ask(rig, 'credits', '', makeInv())).toContain('Only admins can see');
    expect(sim.stats.accountCalls).toBe(0);
  });

  it('with a gateway key it says the gateway does not expose this, instead of failing (asked once, then remembered)', async () => {
    const sim = await startSim(cleanup, { auth: { apiKey: API_KEY }, envelope: 'gateway' });
    const rig = await makeCore(cleanup, sim, { KLING_API_KEY: API_KEY });
    const text = await ask(rig, 'credits', '', admin());
    expect(text).toContain('gateways do not expose the account’s resource packs');
    expect(text).not.toContain('Not done');
    expect(sim.calls.map((c) => [c.op, c.status])).toEqual([['account', 404]]);
    expect(await ask(rig, 'credits', '', admin({ userId: 'u2' }))).toContain('gateways do not expose');
    expect(sim.calls).toHaveLength(1);
  });

  it('with an API key alone, Kling is asked with the key: the packs when it takes it', async () => {
    const sim = await startSim(cleanup, { auth: { apiKey: API_KEY } });
    const rig = await makeCore(cleanup, sim, { KLING_API_KEY: API_KEY });
    expect(await ask(rig, 'credits', '', admin())).toContain('842.5 of 1000 left');
    expect(sim.calls.map((c) => [c.op, c.authorization, c.status])).toEqual([['account', `Bearer ${API_KEY}`, 200]]);
  });

  it('with an API key alone that Kling refuses there: plain words naming the access/secret pair, no crash', async () => {
    const sim = await startSim(cleanup, { auth: { apiKey: API_KEY }, legacyTakesKey: false });
    const rig = await makeCore(cleanup, sim, { KLING_API_KEY: API_KEY });
    const text = await ask(rig, 'credits', '', admin());
    expect(text).toMatch(/refused the API key \(KLING_API_KEY\).*KLING_ACCESS_KEY and KLING_SECRET_KEY/);
    expect(text).not.toContain(API_KEY);
    expect(sim.calls.map((c) => [c.op, c.status])).toEqual([['account', 401]]);
  });
});

describe('what a task costs', () => {
  it('the card shows the estimate while running and final_unit_deduction when done; /tasks lists units; /quota totals today’s', async () => {
    const sim = await startSim(cleanup, { timing: { submittedMs: 150, processingMs: 400, jitter: 0 } });
    const rig = await makeCore(cleanup, sim);
    const inv = makeInv({ userId: 'spender' });
    const io = makeIo(rig.port, inv);
    await rig.dispatcher.runCommand('video', 'a fox --model kling-v3 --mode pro --duration 15 --sound on', inv, io);
    await rig.dispatcher.runCommand('video', 'a second fox --model kling-v2-5-turbo', inv, io);
    const ids = [...new Set(rig.port.events.map((e) => e.taskId))];
    expect(ids).toHaveLength(2);
    const [v3 = '', turbo = ''] = ids;
    const credits = (id: string) =>
      rig.port.events
        .filter((e) => e.taskId === id)
        .map((e) => e.view.fields.find((f) => f.label === 'Credits')?.value);
    // Running: the table's estimate (kling-v3 pro 15 s with sound: 4 × 3 × 1.5 = 18 units), labelled as one.
    expect(credits(v3)[0]).toBe('≈ 18 units (estimate)');
    expect(credits(turbo)[0]).toBe('≈ 1.5 units (estimate)');
    const running = await ask(rig, 'tasks', '--scope mine', inv);
    expect(running).toContain('≈ 18 units (estimate)');
    const quotaRunning = await ask(rig, 'quota', '', inv);
    expect(quotaRunning).toContain('Units today (you): 19.5 units');
    expect(quotaRunning).toContain('count at their estimate');

    await waitFor(
      'both final on their cards',
      () => ids.every((id) => rig.port.lastView(id)?.state === 'succeed'),
      8000,
    );
    // Done: Kling's own deduction (the simulator's price list: pro 15 s = 6, std 5 s = 1).
    expect(credits(v3).at(-1)).toBe('6 units');
    expect(credits(turbo).at(-1)).toBe('1 unit');
    expect(sim.task(v3)).toBeDefined();
    const list = await ask(rig, 'tasks', '--scope mine', inv);
    expect(list).toContain('6 units');
    expect(list).toContain('1 unit');
    expect(list).not.toContain('estimate');
    // Settled with Kling's figures (the store settles right after the card shows the end).
    const quota = await waitFor('the units settled', async () => {
      const text = await ask(rig, 'quota', '', inv);
      return text.includes('Units today (you): 7 units') && text;
    });
    expect(quota).not.toContain('still running');
  });
});
