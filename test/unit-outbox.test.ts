/**
 * The per-channel outbox on a fake clock: GIVEN what the platform answers, THEN what is written
 * when. No HTTP, no sleeps: vitest's fake timers move the clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CardHandle, TaskScope, TaskState } from '../src/domain.js';
import { silentLogger } from '../src/log.js';
import { Metrics } from '../src/metrics.js';
import { ChannelOutbox } from '../src/outbox/channel-outbox.js';
import { viewHash } from '../src/outbox/card-records.js';
import { FINALS_FIRST_MS, progressHoldMs } from '../src/outbox/next-write.js';
import { Outboxes } from '../src/outbox/outboxes.js';
import { RatePacer } from '../src/outbox/pacer.js';
import { PortRateLimitError, type PlatformPort, type RateInfo, type Written } from '../src/port.js';
import type { CardView } from '../src/render/view.js';

const T0 = 1_800_000_000_000;
const scope: TaskScope = { platform: 'console', guildId: 'g', channelId: 'c', userId: 'u', userName: 'u' };

const view = (taskId: string, state: TaskState, statusLine: string = state): CardView => ({
  taskId,
  kind: 'text2video',
  state,
  tone: 'active',
  title: 'Text to video',
  statusLine,
  prompt: 'p',
  fields: [],
  requester: { id: 'u', name: 'u' },
  startedAt: T0,
  media: [],
  buttons: [],
  fallbackText: statusLine,
});

type Answer = { rate?: RateInfo } | { throws: Error };

/** A platform that answers each write with the next scripted answer (default: nothing reported). */
class ScriptedPort implements PlatformPort {
  readonly platform = 'console' as const;
  readonly initialRate = { limit: 5, windowMs: 5000 };
  readonly writes: Array<{ at: number; kind: string; taskId: string; statusLine: string }> = [];
  readonly script: Answer[] = [];
  private next = 1;

  private answer(kind: string, taskId: string, statusLine: string): { rate?: RateInfo } {
    this.writes.push({ at: Date.now(), kind, taskId, statusLine });
    const a = this.script.shift() ?? {};
    if ('throws' in a) throw a.throws;
    return a;
  }

  async post(_s: TaskScope, v: CardView): Promise<Written<CardHandle>> {
    return { value: { card: this.next++ }, ...this.answer('post', v.taskId, v.statusLine) };
  }
  async edit(_h: CardHandle, v: CardView): Promise<Written<undefined>> {
    return { value: undefined, ...this.answer('edit', v.taskId, v.statusLine) };
  }
  async delete(): Promise<Written<void>> {
    return { value: undefined, ...this.answer('delete', '', '') };
  }
  async replyPrivate(): Promise<Written<void>> {
    return { value: undefined, ...this.answer('reply', '', '') };
  }
}

let port: ScriptedPort;
let metrics: Metrics;
let events: string[];

function outbox(): ChannelOutbox {
  return new ChannelOutbox('console:g:c', {
    port,
    log: silentLogger,
    metrics,
    now: Date.now,
    onPosted: async (id, handle) => void events.push(`posted ${id} ${JSON.stringify(handle)}`),
    onShown: (id, u) => void events.push(`shown ${id}${u.final ? ' final' : ''}`),
    onGone: (id) => void events.push(`gone ${id}`),
  });
}

const rateLimitedCount = async () => (await metrics.rateLimited.get()).values.reduce((n, v) => n + v.value, 0);

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  port = new ScriptedPort();
  metrics = new Metrics();
  events = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ChannelOutbox', () => {
  it('GIVEN views offered while the channel waits THEN only the latest is written (coalesced per card)', async () => {
    const box = outbox();
    box.attach('a', scope, { card: 1 }, viewHash(view('a', 'pending')));
    port.script.push({ rate: { remaining: 0, resetAfterMs: 1000 } });
    box.offer('a', view('a', 'submitted'));
    await vi.advanceTimersByTimeAsync(0);
    box.offer('a', view('a', 'processing', '10%'));
    box.offer('a', view('a', 'processing', '20%'));
    box.offer('a', view('a', 'processing', '30%'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(port.writes.map((w) => w.statusLine)).toEqual(['submitted', '30%']);
  });

  it('GIVEN a final, a state change and a progress edit waiting THEN they go final first, then the state change, then progress', async () => {
    const box = outbox();
    for (const id of ['p', 's', 'f']) box.attach(id, scope, { card: 1 }, viewHash(view(id, 'processing', 'old')));
    // Progress shown on each card already, so `p` only moves its percentage.
    port.script.push({ rate: { remaining: 0, resetAfterMs: 2000 } });
    box.offer('p', view('p', 'processing', 'warm-up'));
    await vi.advanceTimersByTimeAsync(0);
    box.offer('p', view('p', 'processing', '50%'));
    box.offer('s', view('s', 'submitted', 'state change'));
    box.offer('f', view('f', 'succeed', 'final'));
    await vi.advanceTimersByTimeAsync(2000);
    expect(port.writes.map((w) => w.statusLine)).toEqual(['warm-up', 'final', 'state change', '50%']);
    expect(events).toContain('shown f final');
  });

  it('GIVEN a view offered for a card whose message is not known yet THEN it goes once attached; GIVEN an attached card that shows its view THEN nothing is written', async () => {
    const box = outbox();
    box.attach('a', scope, undefined);
    box.offer('a', view('a', 'processing', '10%'));
    await vi.advanceTimersByTimeAsync(100);
    expect(port.writes).toEqual([]);
    box.attach('a', scope, { card: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(port.writes.map((w) => `${w.kind} ${w.statusLine}`)).toEqual(['edit 10%']);
    box.attach('b', scope, { card: 2 }, viewHash(view('b', 'pending')));
    await vi.advanceTimersByTimeAsync(100);
    expect(port.writes).toHaveLength(1);
  });

  it('GIVEN the platform reports room THEN writes go at once; GIVEN it reports none left THEN the next waits exactly until its reset', async () => {
    const box = outbox();
    box.attach('a', scope, { card: 1 });
    box.attach('b', scope, { card: 2 });
    port.script.push(
      { rate: { remaining: 1, resetAfterMs: 5000, limit: 5 } },
      { rate: { remaining: 0, resetAfterMs: 4321, limit: 5 } },
    );
    box.offer('a', view('a', 'submitted'));
    box.offer('b', view('b', 'submitted'));
    await vi.advanceTimersByTimeAsync(0);
    // Two writes with no wait of our own: the platform said there was room.
    expect(port.writes.map((w) => w.at - T0)).toEqual([0, 0]);
    box.offer('a', view('a', 'processing'));
    await vi.advanceTimersByTimeAsync(4320);
    expect(port.writes).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(port.writes.map((w) => w.at - T0)).toEqual([0, 0, 4321]);
  });

  it('GIVEN a platform that reports no budget at all THEN nothing is held back (no self-imposed limit)', async () => {
    const box = outbox();
    for (let i = 0; i < 12; i++) box.attach(`t${i}`, scope, { card: i });
    for (let i = 0; i < 12; i++) box.offer(`t${i}`, view(`t${i}`, 'submitted'));
    await vi.advanceTimersByTimeAsync(0);
    expect(port.writes).toHaveLength(12);
    expect(new Set(port.writes.map((w) => w.at))).toEqual(new Set([T0]));
  });

  it('GIVEN a 429 THEN the channel waits exactly its retry-after, and the 429 is counted', async () => {
    const box = outbox();
    box.attach('a', scope, { card: 1 });
    port.script.push({ throws: new PortRateLimitError(1234) });
    box.offer('a', view('a', 'submitted'));
    await vi.advanceTimersByTimeAsync(1233);
    expect(port.writes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(port.writes.map((w) => [w.at - T0, w.statusLine])).toEqual([
      [0, 'submitted'],
      [1234, 'submitted'],
    ]);
    expect(await rateLimitedCount()).toBe(1);
  });

  it('GIVEN two cards in one channel and a 429 on the first THEN both wait (the channel pauses, not the card)', async () => {
    const box = outbox();
    box.attach('a', scope, { card: 1 });
    box.attach('b', scope, { card: 2 });
    port.script.push({ throws: new PortRateLimitError(800) });
    box.offer('a', view('a', 'submitted'));
    box.offer('b', view('b', 'submitted'));
    await vi.advanceTimersByTimeAsync(799);
    expect(port.writes.map((w) => w.taskId)).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(1);
    expect(port.writes.map((w) => [w.taskId, w.at - T0])).toEqual([
      ['a', 0],
      ['a', 800],
      ['b', 800],
    ]);
  });

  it('GIVEN the adapter holds a write back for its own budget THEN the channel waits as asked, and no 429 is counted', async () => {
    const box = outbox();
    box.attach('a', scope, { card: 1 });
    port.script.push({ throws: new PortRateLimitError(500, { source: 'budget' }) });
    box.offer('a', view('a', 'submitted'));
    await vi.advanceTimersByTimeAsync(500);
    expect(port.writes.map((w) => w.at - T0)).toEqual([0, 500]);
    expect(await rateLimitedCount()).toBe(0);
  });

  it('GIVEN a card without a message THEN it is posted with its latest view, and its handle is persisted before any edit', async () => {
    const box = outbox();
    port.script.push({ rate: { remaining: 0, resetAfterMs: 1000 } });
    const opened = box.open('a', scope, view('a', 'pending'));
    box.offer('a', view('a', 'submitted'));
    await vi.advanceTimersByTimeAsync(0);
    const handle = await opened;
    expect(handle).toEqual({ card: 1 });
    expect(port.writes.map((w) => [w.kind, w.statusLine])).toEqual([['post', 'submitted']]);
    box.offer('a', view('a', 'processing'));
    await vi.advanceTimersByTimeAsync(1000);
    expect(port.writes.map((w) => w.kind)).toEqual(['post', 'edit']);
    expect(events[0]).toBe('posted a {"card":1}');
  });

  it('GIVEN a private reply and card writes THEN the reply takes its turn in the same budget', async () => {
    const box = outbox();
    box.attach('a', scope, { card: 1 }, viewHash(view('a', 'processing', '10%')));
    port.script.push({ rate: { remaining: 0, resetAfterMs: 1000 } });
    box.offer('a', view('a', 'processing', '20%'));
    await vi.advanceTimersByTimeAsync(0);
    box.offer('a', view('a', 'processing', '30%'));
    const reply = box.send(scope, 1, (p) =>
      p.replyPrivate({}, { kind: 'notice', tone: 'info', title: 't', text: 'x' }, scope),
    );
    await vi.advanceTimersByTimeAsync(1000);
    await reply;
    // The reply outranks a progress edit, and waited for the window like any other write.
    expect(port.writes.map((w) => [w.kind, w.at - T0])).toEqual([
      ['edit', 0],
      ['reply', 1000],
      ['edit', 1000],
    ]);
  });
});

describe('ChannelOutbox: finals first in a contended channel', () => {
  /**
   * Eight cards (more than a window of 5 holds, even after two finish), each showing `processing`; the platform's
   * window of 5 is spent and resets at T0 + 5000.
   */
  async function contended(cards = 8) {
    const box = outbox();
    for (let i = 0; i < cards; i++)
      box.attach(`t${i}`, scope, { card: i }, viewHash(view(`t${i}`, 'processing', 'old')));
    port.script.push({ rate: { remaining: 0, resetAfterMs: 5000, limit: 5 } });
    box.offer('t0', view('t0', 'processing', 'spent the window'));
    await vi.advanceTimersByTimeAsync(0);
    // Later answers report a fresh window with room.
    for (let i = 0; i < 10; i++) port.script.push({ rate: { remaining: 4, resetAfterMs: 5000, limit: 5 } });
    return box;
  }

  it('GIVEN a fresh window and only progress waiting THEN progress waits a moment, and a final learned meanwhile goes first', async () => {
    const box = await contended();
    box.offer('t1', view('t1', 'processing', '50%'));
    await vi.advanceTimersByTimeAsync(5000 + 400);
    expect(port.writes.map((w) => w.statusLine)).toEqual(['spent the window']);
    box.offer('t2', view('t2', 'succeed', 'final'));
    await vi.advanceTimersByTimeAsync(0);
    // The final opens the window; the progress edit still waits out the first second after the reset, for more finals.
    expect(port.writes.map((w) => [w.statusLine, w.at - T0])).toEqual([
      ['spent the window', 0],
      ['final', 5400],
    ]);
    box.offer('t3', view('t3', 'succeed', 'second final'));
    await vi.advanceTimersByTimeAsync(FINALS_FIRST_MS - 400 - 1);
    expect(port.writes.map((w) => w.statusLine)).toEqual(['spent the window', 'final', 'second final']);
    await vi.advanceTimersByTimeAsync(1);
    expect(port.writes.map((w) => [w.statusLine, w.at - T0])).toContainEqual(['50%', 5000 + FINALS_FIRST_MS]);
  });

  it('GIVEN no final comes THEN the progress edit goes FINALS_FIRST_MS after the window came back', async () => {
    const box = await contended();
    box.offer('t1', view('t1', 'processing', '50%'));
    await vi.advanceTimersByTimeAsync(5000 + FINALS_FIRST_MS - 1);
    expect(port.writes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(port.writes.map((w) => [w.statusLine, w.at - T0])).toEqual([
      ['spent the window', 0],
      ['50%', 5000 + FINALS_FIRST_MS],
    ]);
  });

  it('GIVEN no more cards than a window holds THEN nothing waits for finals (no self-imposed slowdown)', async () => {
    const box = await contended(5);
    box.offer('t1', view('t1', 'processing', '50%'));
    await vi.advanceTimersByTimeAsync(5000);
    expect(port.writes.map((w) => [w.statusLine, w.at - T0])).toEqual([
      ['spent the window', 0],
      ['50%', 5000],
    ]);
  });

  it('GIVEN a shutdown drain THEN held progress goes as soon as the platform allows', async () => {
    const box = await contended();
    box.offer('t1', view('t1', 'processing', '50%'));
    await vi.advanceTimersByTimeAsync(5000);
    const drained = box.drain(2000);
    await vi.advanceTimersByTimeAsync(100);
    await drained;
    expect(port.writes.map((w) => w.statusLine)).toEqual(['spent the window', '50%']);
    expect((port.writes[1]?.at ?? 0) - T0).toBeLessThan(5000 + FINALS_FIRST_MS);
  });
});

describe('progressHoldMs', () => {
  const fresh = { limit: 5, remaining: 5, resetInMs: undefined, sinceResetMs: 300 };
  it('holds only in a contended channel, only in the first FINALS_FIRST_MS after a reset (window opened or not), never in a quiet channel’s first window', () => {
    expect(progressHoldMs(fresh, 6)).toBe(FINALS_FIRST_MS - 300);
    expect(progressHoldMs(fresh, 5)).toBe(0);
    expect(progressHoldMs({ ...fresh, resetInMs: 4800, remaining: 4 }, 30)).toBe(FINALS_FIRST_MS - 300);
    expect(progressHoldMs({ ...fresh, resetInMs: 4000, remaining: 3, sinceResetMs: FINALS_FIRST_MS }, 30)).toBe(0);
    expect(progressHoldMs({ ...fresh, sinceResetMs: undefined }, 30)).toBe(0);
    expect(progressHoldMs({ ...fresh, sinceResetMs: FINALS_FIRST_MS + 1 }, 30)).toBe(0);
    expect(progressHoldMs({ limit: Infinity, remaining: Infinity, resetInMs: undefined, sinceResetMs: 0 }, 100)).toBe(
      0,
    );
  });
});

describe('RatePacer', () => {
  it('starts conservative (5 per 5 s) until the platform says otherwise', () => {
    vi.setSystemTime(T0);
    const pacer = new RatePacer({ limit: 5, windowMs: 5000 }, Date.now);
    for (let i = 0; i < 5; i++) {
      expect(pacer.waitMs()).toBe(0);
      pacer.spend();
    }
    expect(pacer.waitMs()).toBe(5000);
    pacer.learn({ remaining: 3, resetAfterMs: 200, limit: 10 });
    expect(pacer.waitMs()).toBe(0);
  });
});

describe('Outboxes', () => {
  it('drops an idle channel outbox after a quiet while, and keeps one with work', async () => {
    const boxes = new Outboxes({
      log: silentLogger,
      metrics,
      now: Date.now,
      onPosted: async () => undefined,
      onShown: () => undefined,
      onGone: () => undefined,
      idleMs: 60_000,
    });
    boxes.addPort(port);
    const quiet = boxes.for({ ...scope, channelId: 'quiet' });
    const busy = boxes.for({ ...scope, channelId: 'busy' });
    busy?.attach('a', scope, { card: 1 });
    expect(quiet && busy).toBeTruthy();
    vi.setSystemTime(T0 + 61_000);
    boxes.evictIdle();
    expect(boxes.existing({ ...scope, channelId: 'quiet' })).toBeUndefined();
    expect(boxes.existing({ ...scope, channelId: 'busy' })).toBe(busy);
    expect(boxes.size()).toBe(1);
  });
});

describe('RatePacer windows', () => {
  it('never lets more than the reported limit go within one window, even across the platform’s window boundary', () => {
    vi.setSystemTime(T0);
    const pacer = new RatePacer({ limit: 5, windowMs: 5000 }, Date.now);
    const sent: number[] = [];
    // The platform's fixed window starts at the first write; its answers say what is left.
    let windowStart = T0;
    let count = 0;
    for (let i = 0; i < 15; i++) {
      vi.setSystemTime(Date.now() + pacer.waitMs());
      if (Date.now() >= windowStart + 5000) {
        windowStart = Date.now();
        count = 0;
      }
      pacer.spend();
      sent.push(Date.now());
      count++;
      pacer.learn({ remaining: 5 - count, resetAfterMs: windowStart + 5000 - Date.now(), limit: 5 });
      pacer.settled();
      // The next write leaves 4 s into the window: the burst would otherwise straddle the boundary.
      if (i === 0) vi.setSystemTime(T0 + 4000);
    }
    for (let i = 0; i + 5 < sent.length; i++) expect((sent[i + 5] ?? 0) - (sent[i] ?? 0)).toBeGreaterThanOrEqual(5000);
  });
});

describe('Outboxes over time', () => {
  it('drops idle outboxes by itself as writes go on elsewhere, so many channels over time cost nothing', () => {
    const boxes = new Outboxes({
      log: silentLogger,
      metrics,
      now: Date.now,
      onPosted: async () => undefined,
      onShown: () => undefined,
      onGone: () => undefined,
      idleMs: 60_000,
    });
    boxes.addPort(port);
    for (let i = 0; i < 50; i++) boxes.for({ ...scope, channelId: `old${i}` });
    expect(boxes.size()).toBe(50);
    vi.setSystemTime(T0 + 11 * 60_000);
    boxes.for({ ...scope, channelId: 'new' });
    expect(boxes.size()).toBe(1);
  });
});
