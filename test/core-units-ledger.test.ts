/**
 * The unit budgets in the store (issue 16, finding 4): admitted atomically with the record on
 * every backend, settled once with what Kling charged, given back once by a record that lost a race.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../src/domain.js';
import { userActivity } from '../src/store/paging.js';
import { openStorage, type Storage } from '../src/store/storage.js';
import { freePort } from './helpers/bot-process.js';
import { waitFor } from './helpers/core-harness.js';
import { redisAvailable } from './helpers/redis-server.js';

const HAS_REDIS = redisAvailable();
let redis: ChildProcess | undefined;
let redisUrl = '';
const dir = mkdtempSync(join(tmpdir(), 'kb-units-'));

beforeAll(async () => {
  if (!HAS_REDIS) return;
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  redisUrl = `redis://127.0.0.1:${port}`;
  const accepts = () =>
    new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
  await waitFor('redis to accept connections', accepts, 10_000, 50);
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!redis) return;
  redis.kill('SIGTERM');
  await once(redis, 'exit');
});

const stores: Storage[] = [];
afterEach(async () => {
  // A close that fails is a finding, not noise: it fails the test.
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

const T0 = Date.UTC(2026, 11, 7, 10, 0, 0);
const DAY = '2026-12-07';
let n = 0;

function record(userId: string, units: number, guildId = 'G1'): TaskRecord {
  n++;
  return {
    id: `kbunits${String(n).padStart(6, '0')}`,
    scope: { platform: 'discord', guildId, channelId: 'C1', userId, userName: userId },
    request: { kind: 'text2video', prompt: 'p', model: 'kling-v3', mode: 'pro', duration: '5', aspect_ratio: '16:9' },
    state: 'pending',
    createdAt: T0,
    updatedAt: T0,
    budget: { units },
  };
}

const backends: Array<[string, () => string, boolean]> = [
  ['memory://', () => 'memory://', false],
  ['sqlite://', () => `sqlite://${join(dir, `s${n}.sqlite`)}`, false],
  ['redis://', () => `${redisUrl}/${(n % 14) + 1}`, !HAS_REDIS],
];

describe.each(backends)('unit budgets on %s', (_name, url, skip) => {
  async function open(): Promise<Storage> {
    const store = await openStorage(url());
    stores.push(store);
    return store;
  }
  const nothing = { user: 0, guild: 0, bot: 0 };

  it.skipIf(skip)(
    'GIVEN 12 commands of 4 units at once against a 20-unit server budget THEN exactly 5 are written',
    async () => {
      const store = await open();
      const recs = Array.from({ length: 12 }, (_, i) => record(`U${i % 4}`, 4));
      const outcomes = await Promise.all(recs.map((r) => store.tasks.admit(r, { units: { ...nothing, guild: 20 } })));
      const won = recs.filter((_, i) => outcomes[i] === undefined);
      expect(won).toHaveLength(5);
      for (const refusal of outcomes.filter((o) => o !== undefined))
        expect(refusal).toEqual({ kind: 'units', budget: 'guild', cap: 2000, used: 2000, needs: 400 });
      const { ledger, bot } = await store.units.on('discord', 'G1', DAY);
      expect(ledger['*']).toBe(2000);
      expect(bot).toBe(2000);
      expect(
        Object.entries(ledger)
          .filter(([k]) => k !== '*')
          .reduce((sum, [, v]) => sum + v, 0),
      ).toBe(2000);
      expect((await store.tasks.getMany(recs.map((r) => r.id))).map((r) => r.id).sort()).toEqual(
        won.map((r) => r.id).sort(),
      );
      expect((await store.tasks.inflightIds()).sort()).toEqual(won.map((r) => r.id).sort());
    },
  );

  it.skipIf(skip)('GIVEN user and bot budgets THEN each refuses with what it has used', async () => {
    const store = await open();
    expect(await store.tasks.admit(record('A', 6), { units: { ...nothing, user: 10 } })).toBeUndefined();
    expect(await store.tasks.admit(record('A', 6), { units: { ...nothing, user: 10 } })).toEqual({
      kind: 'units',
      budget: 'user',
      cap: 1000,
      used: 600,
      needs: 600,
    });
    // Another user of another server still fits the user budget, not the bot's.
    expect(await store.tasks.admit(record('B', 6, 'G2'), { units: { user: 10, guild: 0, bot: 11 } })).toMatchObject({
      budget: 'bot',
      used: 600,
    });
    // The server's daily task cap still refuses first, and a refusal writes nothing.
    await store.tasks.admit(record('C', 1, 'G3'), { guildDailyTasks: 1 });
    expect(await store.tasks.admit(record('C', 1, 'G3'), { guildDailyTasks: 1 })).toEqual({ kind: 'guild_tasks' });
    expect((await store.units.on('discord', 'G3', DAY)).ledger).toEqual({ C: 100, '*': 100 });
  });

  it.skipIf(skip)(
    'GIVEN tasks that end THEN each settles once: the charge replaces the estimate, a failure with no charge gives it back',
    async () => {
      const store = await open();
      const ok = record('A', 6);
      const failed = record('A', 4);
      await store.tasks.admit(ok);
      await store.tasks.admit(failed);
      expect((await store.units.on('discord', 'G1', DAY)).ledger['A']).toBe(1000);
      await store.tasks.update(ok.id, (cur) => ({ ...cur, state: 'processing' }));
      await store.tasks.update(ok.id, (cur) => ({ ...cur, state: 'succeed', credits: '2.5' }));
      await store.tasks.update(ok.id, (cur) => ({ ...cur, credits: '9', budget: { units: 6 } })); // a stale writer
      await store.tasks.update(failed.id, (cur) => ({ ...cur, state: 'failed' }));
      const { ledger, bot } = await store.units.on('discord', 'G1', DAY);
      expect(ledger).toEqual({ A: 250, '*': 250 });
      expect(bot).toBe(250);
      expect((await store.tasks.get(ok.id))?.budget).toEqual({ units: 6, settled: true, charged: 2.5 });
    },
  );

  it.skipIf(skip)(
    'GIVEN a record that lost a race THEN release gives back its units, its server task slot and its user slots, once',
    async () => {
      const store = await open();
      const lost = record('A', 6, 'G4');
      await store.tasks.admit(lost, { guildDailyTasks: 1 });
      expect(await store.tasks.admit(record('B', 1, 'G4'), { guildDailyTasks: 1 })).toEqual({ kind: 'guild_tasks' });
      const mine = () => userActivity(store.tasks, 'discord', 'G4', 'A', T0 - 1000, T0 + 1000);
      expect(await mine()).toMatchObject({ active: 1, today: 1 });
      expect(await store.budgets.release(lost.id)).toBe(true);
      expect(await mine()).toMatchObject({ active: 0, today: 0 });
      expect(await store.budgets.release(lost.id)).toBe(false);
      expect(await store.budgets.release('kbnosuchtask')).toBe(false);
      expect(await store.counts.countOn('discord', 'G4', DAY)).toBe(0);
      expect((await store.units.on('discord', 'G4', DAY)).ledger).toEqual({ A: 0, '*': 0 });
      // The slot it gave back is usable again.
      expect(await store.tasks.admit(record('B', 1, 'G4'), { guildDailyTasks: 1 })).toBeUndefined();
    },
  );
});

describe.skipIf(!HAS_REDIS)('unit budgets across replicas', () => {
  it('GIVEN two replicas on one Redis admitting 12 commands of 4 units at once against a 20-unit bot budget THEN exactly 5 are written', async () => {
    const db = `${redisUrl}/15`;
    const [a, b] = [await openStorage(db), await openStorage(db)];
    stores.push(a, b);
    const recs = Array.from({ length: 12 }, (_, i) => record(`U${i}`, 4, `G${i % 3}`));
    const outcomes = await Promise.all(
      recs.map((r, i) => (i % 2 ? a : b).tasks.admit(r, { units: { user: 0, guild: 0, bot: 20 } })),
    );
    expect(outcomes.filter((o) => o === undefined)).toHaveLength(5);
    expect(outcomes.filter((o) => o !== undefined).every((o) => o?.kind === 'units' && o.budget === 'bot')).toBe(true);
    expect((await b.units.on('discord', 'G0', DAY)).bot).toBe(2000);
  });
});
