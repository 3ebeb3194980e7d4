import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../src/errors.js';
import KeyvRedis from '@keyv/redis';
import Keyv from 'keyv';
import { pageOf } from '../src/store/paging.js';
import { openStorage } from '../src/store/storage.js';
import { createTask } from '../src/store/task-store.js';
import { freePort } from './helpers/bot-process.js';
import { Cleanup, makeCore, makeInv, makeIo, startSim, waitFor } from './helpers/core-harness.js';
import { RecordingPort } from './helpers/core-port.js';
import { redisAvailable } from './helpers/redis-server.js';

/** A real Redis (Debian's redis-server, installed by .ci/run) on a private port, no persistence. */
let redis: ChildProcess | undefined;
let url: string;
/** Without redis-server these tests are skipped, with one line saying what to install. */
const HAS_REDIS = redisAvailable();

beforeAll(async () => {
  if (!HAS_REDIS) return;
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  url = `redis://127.0.0.1:${port}`;
  await waitFor(
    'redis to accept connections',
    () =>
      new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.end();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      }),
    10_000,
    50,
  );
});

afterAll(async () => {
  if (!redis) return;
  redis.kill('SIGTERM');
  await once(redis, 'exit');
});

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

describe.skipIf(!HAS_REDIS)('STORE_URL=redis://', () => {
  it('GIVEN tasks written through Redis THEN they read back, page newest first, and stay per server', async () => {
    const store = await openStorage(`${url}/1`);
    cleanup.add(() => store.close());
    const scope = (guildId: string) => ({
      platform: 'slack' as const,
      guildId,
      channelId: 'C1',
      userId: 'U1',
      userName: 'u',
    });
    for (let i = 0; i < 3; i++) {
      await createTask(store.tasks, {
        id: `kbredis${i}`,
        scope: scope(i === 2 ? 'T2' : 'T1'),
        request: { kind: 'image', prompt: `p${i}`, model: 'kling-v2', aspect_ratio: '1:1', n: 1 },
        state: 'pending',
        createdAt: 1000 + i,
        updatedAt: 1000 + i,
      });
    }
    const page = await pageOf(store.tasks, {
      platform: 'slack',
      guildId: 'T1',
      channelId: 'C1',
      page: 1,
      pageSize: 10,
    });
    expect(page.items.map((t) => t.id)).toEqual(['kbredis1', 'kbredis0']);
    expect((await store.tasks.inflightIds()).sort()).toEqual(['kbredis0', 'kbredis1', 'kbredis2']);
  });

  it('GIVEN two bot replicas on one Redis THEN one of them tracks every task, whichever replica took the command', async () => {
    const sim = await startSim(cleanup);
    const env = { STORE_URL: `${url}/2` };
    const a = await makeCore(cleanup, sim, env, new RecordingPort());
    const b = await makeCore(cleanup, sim, env, new RecordingPort());
    const ids: string[] = [];
    for (const [rig, user] of [
      [a, 'u1'],
      [b, 'u2'],
      [b, 'u3'],
    ] as const) {
      const inv = makeInv({ userId: user });
      ids.push(
        (
          await rig.core.services.tasks.submit(inv, makeIo(rig.port, inv), {
            kind: 'text2video',
            prompt: 'rain on a window',
            model: 'kling-v1-6',
            mode: 'std',
            duration: '5',
            aspect_ratio: '16:9',
          })
        ).id,
      );
    }
    await waitFor(
      'every task final in Redis',
      async () => (await Promise.all(ids.map((id) => a.core.store.get(id)))).every((r) => r?.state === 'succeed'),
      10_000,
    );
    // Edits came from exactly one replica (the lease holder), never both.
    const editors = [a, b].filter((rig) => rig.port.events.some((e) => e.type === 'edit'));
    expect(editors).toHaveLength(1);
    for (const id of ids) expect(sim.createsFor(id)).toBe(1);
  });

  it('GIVEN ten replicas claiming the tracker lease at once THEN exactly one wins; it renews, and the claim passes on only when released or lapsed', async () => {
    const stores = await Promise.all(Array.from({ length: 10 }, () => openStorage(`${url}/3`)));
    for (const s of stores) cleanup.add(() => s.close());
    const leases = stores.map((s, i) => s.trackerLease(`replica-${i}`, 400));
    for (let round = 0; round < 5; round++) {
      const won = await Promise.all(leases.map((l) => l.acquire()));
      expect(won.filter(Boolean)).toHaveLength(1);
    }
    const holder = leases[(await Promise.all(leases.map((l) => l.acquire()))).indexOf(true)];
    const others = leases.filter((l) => l !== holder);
    await holder?.release();
    expect((await Promise.all(others.map((l) => l.acquire()))).filter(Boolean)).toHaveLength(1);
    // The new holder stops renewing (a crash): after the TTL someone else takes over.
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(await holder?.acquire()).toBe(true);
  });

  it('GIVEN a replica whose clock runs a minute fast THEN it still cannot take a lease another replica holds (Redis keeps the time)', async () => {
    const [a, b] = await Promise.all([openStorage(`${url}/4`), openStorage(`${url}/4`)]);
    cleanup.add(() => a?.close());
    cleanup.add(() => b?.close());
    const honest = a?.trackerLease('honest', 5000);
    const fast = b?.trackerLease('fast', 5000, () => Date.now() + 60_000);
    expect(await honest?.acquire()).toBe(true);
    expect(await fast?.acquire()).toBe(false);
    expect(await honest?.acquire()).toBe(true);
  });

  it('GIVEN two replicas creating tasks in one channel at the same moment THEN no index entry, in-flight entry or count is lost', async () => {
    const [a, b] = await Promise.all([openStorage(`${url}/5`), openStorage(`${url}/5`)]);
    if (!a || !b) throw new Error('stores did not open');
    cleanup.add(() => a.close());
    cleanup.add(() => b.close());
    const scope = { platform: 'discord' as const, guildId: 'G1', channelId: 'C1', userId: 'U1', userName: 'u' };
    const t = Date.now();
    const ids = Array.from({ length: 60 }, (_, i) => `kbrace${String(i).padStart(3, '0')}`);
    await Promise.all(
      ids.map((id, i) =>
        createTask((i % 2 ? a : b).tasks, {
          id,
          scope,
          request: { kind: 'image', prompt: `p${i}`, model: 'kling-v2', aspect_ratio: '1:1', n: 1 },
          state: 'pending',
          createdAt: t + i,
          updatedAt: t + i,
        }),
      ),
    );
    const byChannel = await pageOf(a.tasks, {
      platform: 'discord',
      guildId: 'G1',
      channelId: 'C1',
      page: 1,
      pageSize: 100,
    });
    const byUser = await pageOf(b.tasks, { platform: 'discord', guildId: 'G1', userId: 'U1', page: 1, pageSize: 100 });
    expect(byChannel.items.map((r) => r.id).sort()).toEqual(ids);
    expect(byUser.total).toBe(ids.length);
    expect((await a.tasks.inflightIds()).sort()).toEqual(ids);
    expect(await b.counts.countOn('discord', 'G1', new Date(t).toISOString().slice(0, 10))).toBe(ids.length);
  });

  it('GIVEN 12 members of one server on two replicas creating at once and GUILD_MAX_DAILY_TASKS=5 THEN exactly 5 are written, and the rest leave nothing behind', async () => {
    const [a, b] = await Promise.all([openStorage(`${url}/6`), openStorage(`${url}/6`)]);
    if (!a || !b) throw new Error('stores did not open');
    cleanup.add(() => a.close());
    cleanup.add(() => b.close());
    const t = Date.now();
    const attempts = Array.from({ length: 12 }, (_, i) => ({
      id: `kbcap${String(i).padStart(3, '0')}`,
      user: `U${i}`,
    }));
    const admitted = await Promise.all(
      attempts.map(({ id, user }, i) =>
        createTask(
          (i % 2 ? a : b).tasks,
          {
            id,
            scope: { platform: 'discord', guildId: 'G1', channelId: 'C1', userId: user, userName: user },
            request: { kind: 'image', prompt: 'p', model: 'kling-v2', aspect_ratio: '1:1', n: 1 },
            state: 'pending',
            createdAt: t,
            updatedAt: t,
          },
          { guildDailyCap: 5 },
        ),
      ),
    );
    const winners = attempts.filter((_, i) => admitted[i]).map((x) => x.id);
    expect(winners).toHaveLength(5);
    expect(await a.counts.countOn('discord', 'G1', new Date(t).toISOString().slice(0, 10))).toBe(5);
    expect((await b.tasks.inflightIds()).sort()).toEqual(winners.sort());
    expect(
      (await pageOf(a.tasks, { platform: 'discord', guildId: 'G1', channelId: 'C1', page: 1, pageSize: 25 })).items
        .map((r) => r.id)
        .sort(),
    ).toEqual(winners.sort());
    // keyv reads the record the script wrote, exactly.
    expect(await b.tasks.get(winners[0] ?? '')).toMatchObject({ id: winners[0], state: 'pending', createdAt: t });
    for (const loser of attempts.filter((_, i) => !admitted[i])) expect(await a.tasks.get(loser.id)).toBeUndefined();
  });

  it('GIVEN a Slack signature seen by one replica THEN the other sees it as a replay (the cache is in Redis), until it lapses', async () => {
    const [a, b] = await Promise.all([openStorage(`${url}/8`), openStorage(`${url}/8`)]);
    if (!a || !b) throw new Error('stores did not open');
    cleanup.add(() => a.close());
    cleanup.add(() => b.close());
    const answers = await Promise.all([
      a.replay.firstSighting('slack:v0=abc', 60_000),
      b.replay.firstSighting('slack:v0=abc', 60_000),
      a.replay.firstSighting('slack:v0=abc', 60_000),
    ]);
    expect(answers.filter(Boolean)).toHaveLength(1);
    expect(await b.replay.firstSighting('slack:v0=other', 60_000)).toBe(true);
    expect(await a.replay.firstSighting('slack:v0=short', 50)).toBe(true);
    await waitFor('the short entry to lapse', () => b.replay.firstSighting('slack:v0=short', 50), 2000, 20);
  });

  it('GIVEN Redis goes away while the bot runs THEN reads and writes fail at once as StoreErrors, never "absent" and never a hang', async () => {
    const port = await freePort();
    const own = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const exited = once(own, 'exit');
    cleanup.add(async () => {
      if (own.exitCode === null) own.kill('SIGKILL');
      await exited;
    });
    const store = await waitFor(
      'the second redis to accept a store',
      () =>
        openStorage(`redis://127.0.0.1:${port}`)
          .then(async (s) => (await s.tasks.inflightIds(), s))
          .catch(() => undefined),
      10_000,
      50,
    );
    // This test kills Redis under the store: its close may fail for that reason alone.
    cleanup.add(() => store.close().catch(() => undefined));
    const t = Date.now();
    const rec = {
      id: 'kbgone0000001',
      scope: { platform: 'discord' as const, guildId: 'G1', channelId: 'C1', userId: 'U1', userName: 'u' },
      request: { kind: 'image' as const, prompt: 'p', model: 'kling-v2', aspect_ratio: '1:1' as const, n: 1 },
      state: 'pending' as const,
      createdAt: t,
      updatedAt: t,
    };
    expect(await createTask(store.tasks, rec)).toBe(true);
    own.kill('SIGKILL');
    await exited;
    await expect(store.tasks.get(rec.id)).rejects.toBeInstanceOf(StoreError);
    await expect(store.tasks.inflightIds()).rejects.toBeInstanceOf(StoreError);
    await expect(createTask(store.tasks, { ...rec, id: 'kbgone0000002' })).rejects.toBeInstanceOf(StoreError);
    await expect(
      pageOf(store.tasks, { platform: 'discord', guildId: 'G1', channelId: 'C1', page: 1, pageSize: 10 }),
    ).rejects.toBeInstanceOf(StoreError);
  });

  it('GIVEN records that keyv wrote (a prompt starting with ":") THEN this version reads them, and keyv reads what it writes', async () => {
    const old = new Keyv({ store: new KeyvRedis(`${url}/9`), namespace: 'kb', useKeyPrefix: false });
    cleanup.add(() => old.disconnect());
    const t = Date.now();
    const scope = { platform: 'slack' as const, guildId: 'T1', channelId: 'C1', userId: 'U1', userName: 'u' };
    const rec = (id: string, prompt: string) => ({
      id,
      scope,
      request: { kind: 'image' as const, prompt, model: 'kling-v2', aspect_ratio: '1:1' as const, n: 1 },
      state: 'succeed' as const,
      createdAt: t,
      updatedAt: t,
    });
    await old.set('t:kbkeyv0000001', rec('kbkeyv0000001', ':) from keyv'));
    await old.set('k:kling-old', 'kbkeyv0000001');
    const storage = await openStorage(`${url}/9`);
    cleanup.add(() => storage.close());
    expect(await storage.tasks.get('kbkeyv0000001')).toEqual(rec('kbkeyv0000001', ':) from keyv'));
    expect(await storage.tasks.idForKlingTask('kling-old')).toBe('kbkeyv0000001');
    await createTask(storage.tasks, rec('kbours0000001', '::) from us'));
    await storage.tasks.update('kbours0000001', (cur) => ({ ...cur, klingTaskId: 'kling-new' }));
    expect(await old.get('t:kbours0000001')).toEqual({
      ...rec('kbours0000001', '::) from us'),
      klingTaskId: 'kling-new',
    });
    expect(await old.get('k:kling-new')).toBe('kbours0000001');
  });

  it('GIVEN a Redis written by the previous layout (JSON arrays in keyv keys) THEN opening moves history, in-flight tasks and counts over, once', async () => {
    // Written as earlier versions wrote it: keyv on @keyv/redis (namespace kb, no keyv prefix).
    const old = new Keyv({ store: new KeyvRedis(`${url}/7`), namespace: 'kb', useKeyPrefix: false });
    const t = Date.now();
    const day = new Date(t).toISOString().slice(0, 10);
    const scope = { platform: 'slack' as const, guildId: 'T1', channelId: 'C1', userId: 'U1', userName: 'u' };
    const ids = Array.from({ length: 205 }, (_, i) => `kbold${String(i).padStart(4, '0')}`);
    for (const [i, id] of ids.entries())
      await old.set(`t:${id}`, {
        id,
        scope,
        request: { kind: 'image', prompt: `p${i}`, model: 'kling-v2', aspect_ratio: '1:1', n: 1 },
        state: i >= 203 ? 'processing' : 'succeed',
        createdAt: t + i,
        updatedAt: t + i,
      });
    for (const index of ['ch:slack:T1:C1', 'us:slack:T1:U1']) {
      await old.set(`${index}:0`, ids.slice(0, 200));
      await old.set(`${index}:1`, ids.slice(200));
      await old.set(`${index}:n`, ids.length);
    }
    await old.set('if:17', [ids[203], ids[204]]);
    await old.set(`cnt:slack:T1:${day}`, 205, 3 * 86_400_000);
    await old.disconnect();

    const [a, b] = await Promise.all([openStorage(`${url}/7`), openStorage(`${url}/7`)]);
    if (!a || !b) throw new Error('stores did not open');
    cleanup.add(() => a.close());
    cleanup.add(() => b.close());
    const page = await pageOf(a.tasks, { platform: 'slack', guildId: 'T1', channelId: 'C1', page: 1, pageSize: 5 });
    expect(page).toMatchObject({ total: 205 });
    expect(page.items.map((r) => r.id)).toEqual([...ids].reverse().slice(0, 5));
    expect(
      (await pageOf(b.tasks, { platform: 'slack', guildId: 'T1', userId: 'U1', page: 41, pageSize: 5 })).items.map(
        (r) => r.id,
      ),
    ).toEqual([...ids].reverse().slice(200));
    expect((await a.tasks.inflightIds()).sort()).toEqual([ids[203], ids[204]]);
    expect(await b.counts.countOn('slack', 'T1', day)).toBe(205);
    // Two replicas opened at once: moved once, nothing doubled; a new task lands after the old ones.
    await createTask(a.tasks, {
      id: 'kbnew0000001',
      scope,
      request: { kind: 'image', prompt: 'new', model: 'kling-v2', aspect_ratio: '1:1', n: 1 },
      state: 'pending',
      createdAt: t + 1000,
      updatedAt: t + 1000,
    });
    const again = await openStorage(`${url}/7`);
    cleanup.add(() => again.close());
    const after = await pageOf(again.tasks, {
      platform: 'slack',
      guildId: 'T1',
      channelId: 'C1',
      page: 1,
      pageSize: 2,
    });
    expect(after).toMatchObject({ total: 206 });
    expect(after.items.map((r) => r.id)).toEqual(['kbnew0000001', ids[204]]);
  });
});
