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
import {
  chooseNext,
  holdingOf,
  MENTION_WAIT_MS,
  mentionYields,
  NOT_HOLDING,
  type Yields,
} from '../src/outbox/next-write.js';
import { MediaStage, type MediaSink, type PreparedMedia } from '../src/media/stage.js';
import { LEAD_MS } from '../src/media/transfer-slots.js';
import type { Download } from '../src/media/download.js';
import { Outboxes } from '../src/outbox/outboxes.js';
import { RatePacer } from '../src/outbox/pacer.js';
import { PortRateLimitError, type PlatformPort, type RateInfo, type Written } from '../src/port.js';
import type { CardView } from '../src/render/view.js';

/** Downloads of the real MediaStage (where a test uses one) wait until the test lets them through, per link. */
const downloads = vi.hoisted(() => new Map<string, () => void>());
vi.mock('../src/media/download.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../src/media/download.js')>()),
  download: (url: string) =>
    new Promise<Download>((resolve) =>
      downloads.set(url, () => resolve({ kind: 'ok', bytes: Buffer.from('mp4'), contentType: 'video/mp4' })),
    ),
}));

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

  protected record(kind: string, taskId: string, statusLine: string): { rate?: RateInfo } {
    this.writes.push({ at: Date.now(), kind, taskId, statusLine });
    const a = this.script.shift() ?? {};
    if ('throws' in a) throw a.throws;
    return a;
  }

  async post(_s: TaskScope, v: CardView): Promise<Written<CardHandle>> {
    return { value: { card: this.next++ }, ...this.record('post', v.taskId, v.statusLine) };
  }
  async edit(_h: CardHandle, v: CardView): Promise<Written<undefined>> {
    return { value: undefined, ...this.record('edit', v.taskId, v.statusLine) };
  }
  async delete(): Promise<Written<void>> {
    return { value: undefined, ...this.record('delete', '', '') };
  }
  async replyPrivate(): Promise<Written<void>> {
    return { value: undefined, ...this.record('reply', '', '') };
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

describe('ChannelOutbox: finals first in a busy channel', () => {
  /**
   * `cards` cards each showing `processing` (eight: more than a window of 5 holds, even after two finish); the
   * platform's window of 5 is spent and resets at T0 + 5000.
   */
  async function busy(cards = 8) {
    const box = outbox();
    for (let i = 0; i < cards; i++)
      box.attach(`t${i}`, scope, { card: i }, viewHash(view(`t${i}`, 'processing', 'old')));
    port.script.push({ rate: { remaining: 0, resetAfterMs: 5000, limit: 5 } });
    box.offer('t0', view('t0', 'processing', 'spent the window'));
    await vi.advanceTimersByTimeAsync(0);
    // Later answers report a fresh window with room.
    for (let i = 0; i < 20; i++) port.script.push({ rate: { remaining: 4, resetAfterMs: 5000, limit: 5 } });
    return box;
  }

  it('GIVEN a busy channel whose window came back THEN state and progress edits do not open it, and results learned seconds later go at once', async () => {
    const box = await busy();
    // Issue 18's shape: the cards' "processing" comes in while results are still seconds away.
    box.offer('t1', view('t1', 'processing', 'now processing'));
    box.offer('t2', view('t2', 'processing', '50%'));
    await vi.advanceTimersByTimeAsync(5000 + 3000);
    expect(port.writes.map((w) => w.statusLine)).toEqual(['spent the window']);
    box.offer('t3', view('t3', 'succeed', 'final'));
    box.offer('t4', view('t4', 'failed', 'second final'));
    await vi.advanceTimersByTimeAsync(0);
    expect(port.writes.map((w) => [w.statusLine, w.at - T0])).toEqual([
      ['spent the window', 0],
      ['final', 8000],
      ['second final', 8000],
    ]);
  });

  it('GIVEN two results a poll found together, the one that finished first at Kling offered last THEN it is written first', async () => {
    const box = await busy();
    box.offer('t3', { ...view('t3', 'succeed', 'finished second'), doneAt: T0 + 300 });
    box.offer('t4', { ...view('t4', 'succeed', 'finished first'), doneAt: T0 + 200 });
    await vi.advanceTimersByTimeAsync(5000);
    expect(port.writes.map((w) => w.statusLine)).toEqual(['spent the window', 'finished first', 'finished second']);
  });

  it('GIVEN finals written until the cards in flight fit in one window THEN the held edits go, in the budget left', async () => {
    const box = await busy(7);
    box.offer('t1', view('t1', 'processing', 'now processing'));
    await vi.advanceTimersByTimeAsync(6000);
    expect(port.writes).toHaveLength(1);
    box.offer('t5', view('t5', 'succeed', 'final'));
    await vi.advanceTimersByTimeAsync(0);
    // Six cards in flight: still more than a window holds.
    expect(port.writes.map((w) => w.statusLine)).toEqual(['spent the window', 'final']);
    box.offer('t6', view('t6', 'succeed', 'second final'));
    await vi.advanceTimersByTimeAsync(0);
    expect(port.writes.map((w) => [w.statusLine, w.at - T0])).toEqual([
      ['spent the window', 0],
      ['final', 6000],
      ['second final', 6000],
      ['now processing', 6000],
    ]);
  });

  it('GIVEN a card whose task ended elsewhere (forgotten) makes the channel fit in one window THEN the held edits go', async () => {
    const box = await busy(6);
    box.offer('t1', view('t1', 'processing', 'now processing'));
    await vi.advanceTimersByTimeAsync(6000);
    expect(port.writes).toHaveLength(1);
    box.forget('t5');
    await vi.advanceTimersByTimeAsync(0);
    expect(port.writes.map((w) => [w.statusLine, w.at - T0])).toEqual([
      ['spent the window', 0],
      ['now processing', 6000],
    ]);
  });

  it('GIVEN no more cards than a window holds THEN nothing waits for finals (no self-imposed slowdown)', async () => {
    const box = await busy(5);
    box.offer('t1', view('t1', 'processing', '50%'));
    await vi.advanceTimersByTimeAsync(5000);
    expect(port.writes.map((w) => [w.statusLine, w.at - T0])).toEqual([
      ['spent the window', 0],
      ['50%', 5000],
    ]);
  });

  it('GIVEN a shutdown drain THEN held edits go as soon as the platform allows', async () => {
    const box = await busy();
    box.offer('t1', view('t1', 'processing', '50%'));
    await vi.advanceTimersByTimeAsync(5000);
    const drained = box.drain(2000);
    await vi.advanceTimersByTimeAsync(100);
    await drained;
    expect(port.writes.map((w) => w.statusLine)).toEqual(['spent the window', '50%']);
    expect((port.writes[1]?.at ?? 0) - T0).toBeLessThan(5100);
  });
});

describe('ChannelOutbox: the uploads that complete finals come before mentions', () => {
  const URL = 'https://kling.example/r.mp4';
  const finalView = (taskId: string): CardView => ({
    ...view(taskId, 'succeed', `${taskId} final`),
    media: [{ url: URL, label: 'Video', kind: 'video' }],
    expiresAt: T0 + 30 * 86_400_000,
  });

  /** Copies fetched only when the test says so (one release per card, in order). */
  class HeldStage extends MediaStage {
    readonly fetched: Array<() => void> = [];
    override async prepare(v: CardView): Promise<PreparedMedia> {
      await new Promise<void>((resolve) => this.fetched.push(resolve));
      const filename = `${v.taskId}.mp4`;
      return {
        copies: [{ url: URL, outcome: 'uploaded', filename, bytes: 1, at: Date.now() }],
        files: [{ url: URL, filename, contentType: 'video/mp4', size: 1, bytes: Buffer.from('x') }],
        mention: true,
        release: () => undefined,
      };
    }
  }

  class UploadingPort extends ScriptedPort {
    /** Whether each upload carried the mention (Slack's upload comment). */
    readonly attachMentions: boolean[] = [];
    readonly media: MediaSink;
    /** `followUp`: the mention goes as its own message after the final (Discord); else in the upload (Slack). */
    constructor(followUp = true) {
      super();
      this.media = {
        uploadLimit: () => 10_000_000,
        attach: async (_h, v, _s, _f, mention) => {
          this.attachMentions.push(mention);
          return { value: undefined, ...this.record('upload', v.taskId, v.statusLine) };
        },
        ...(followUp
          ? { mention: async (_h, v) => ({ value: undefined, ...this.record('mention', v.taskId, v.statusLine) }) }
          : {}),
      };
    }
  }

  /** An outbox writing through an UploadingPort (which becomes the file's `port`) and a HeldStage. */
  function uploadingBox(
    mayMention?: (taskId: string) => Promise<boolean>,
    followUp = true,
  ): { box: ChannelOutbox; stage: HeldStage; port: UploadingPort } {
    const uploading = new UploadingPort(followUp);
    port = uploading;
    const stage = new HeldStage({ concurrency: 2, log: silentLogger });
    return { box: realBox(uploading, stage, 'c', mayMention), stage, port: uploading };
  }

  /** Card `a` final with its copy fetched, and 5 s for its writes (one write left in the window after the upload). */
  async function finishA(box: ChannelOutbox, stage: HeldStage): Promise<void> {
    box.attach('a', scope, { card: 'a' }, viewHash(view('a', 'processing')));
    port.script.push({ rate: { remaining: 4, resetAfterMs: 5000, limit: 5 } });
    box.offer('a', finalView('a'));
    await vi.advanceTimersByTimeAsync(0);
    stage.fetched[0]?.();
    await vi.advanceTimersByTimeAsync(5000);
  }

  it('GIVEN another replica claimed the mention first THEN no mention follows the final (Discord) and the upload carries none (Slack)', async () => {
    for (const followUp of [true, false]) {
      const asked: string[] = [];
      const { box, stage, port: up } = uploadingBox(async (taskId) => (asked.push(taskId), false), followUp);
      await finishA(box, stage);
      expect(port.writes.map((w) => [w.kind, w.taskId])).toEqual([['upload', 'a']]);
      // A follow-up sink ignores the upload's flag; the claim is asked once, where the mention would go.
      expect(up.attachMentions).toEqual([followUp]);
      expect(asked).toEqual(['a']);
    }
  });

  it('GIVEN two outboxes (two replicas) writing the same final with one claim between them THEN the requester is mentioned once; GIVEN the claim store failing THEN mentioned anyway', async () => {
    const seen = new Set<string>();
    const claim = async (taskId: string) => !seen.has(taskId) && Boolean(seen.add(taskId));
    const mentions = async (mayMention: (taskId: string) => Promise<boolean>, followUp = true) => {
      const { box, stage, port: up } = uploadingBox(mayMention, followUp);
      await finishA(box, stage);
      return followUp
        ? port.writes.filter((w) => w.kind === 'mention').length
        : up.attachMentions.filter(Boolean).length;
    };
    expect(await mentions(claim)).toBe(1);
    expect(await mentions(claim)).toBe(0);
    seen.clear();
    expect(await mentions(claim, false)).toBe(1);
    expect(await mentions(claim, false)).toBe(0);
    expect(
      await mentions(async () => {
        throw new Error('store down');
      }),
    ).toBe(1);
  });

  it('GIVEN one final written and another still fetching its copy, with one write left in the window THEN the first one’s mention waits and the second final takes the write', async () => {
    const { box, stage } = uploadingBox();
    for (const id of ['a', 'b']) box.attach(id, scope, { card: id }, viewHash(view(id, 'processing')));
    port.script.push(
      { rate: { remaining: 1, resetAfterMs: 5000, limit: 5 } },
      { rate: { remaining: 0, resetAfterMs: 4900, limit: 5 } },
      { rate: { remaining: 4, resetAfterMs: 5000, limit: 5 } },
    );
    box.offer('a', finalView('a'));
    box.offer('b', finalView('b'));
    await vi.advanceTimersByTimeAsync(0);
    expect(stage.fetched).toHaveLength(2);
    stage.fetched[0]?.();
    await vi.advanceTimersByTimeAsync(100);
    stage.fetched[1]?.();
    await vi.advanceTimersByTimeAsync(4900);
    expect(port.writes.map((w) => [w.kind, w.taskId, w.at - T0])).toEqual([
      ['upload', 'a', 0],
      ['upload', 'b', 100],
      ['mention', 'a', 5000],
      ['mention', 'b', 5000],
    ]);
  });

  it('GIVEN a busy channel THEN the requester’s mention waits for it, at most MENTION_WAIT_MS, while unfinished cards keep waiting', async () => {
    const { box, stage } = uploadingBox();
    for (let i = 0; i < 7; i++) box.attach(`t${i}`, scope, { card: i }, viewHash(view(`t${i}`, 'processing')));
    for (let i = 0; i < 5; i++) port.script.push({ rate: { remaining: 4 - i, resetAfterMs: 5000, limit: 5 } });
    box.offer('t0', finalView('t0'));
    await vi.advanceTimersByTimeAsync(0);
    stage.fetched[0]?.();
    await vi.advanceTimersByTimeAsync(0);
    box.offer('t1', view('t1', 'processing', '50%'));
    await vi.advanceTimersByTimeAsync(MENTION_WAIT_MS - 1);
    expect(port.writes.map((w) => w.kind)).toEqual(['upload']);
    await vi.advanceTimersByTimeAsync(1);
    expect(port.writes.map((w) => [w.kind, w.taskId, w.at - T0])).toEqual([
      ['upload', 't0', 0],
      ['mention', 't0', MENTION_WAIT_MS],
    ]);
  });

  /** A final whose copy comes from its own link (the real MediaStage fetches it through the mocked download). */
  const urlOf = (taskId: string) => `https://kling.example/${taskId}.mp4`;
  const mediaView = (taskId: string): CardView => ({
    ...finalView(taskId),
    media: [{ url: urlOf(taskId), label: 'Video', kind: 'video' }],
  });
  const uploadsOf = (p: ScriptedPort) => p.writes.filter((w) => w.kind === 'upload').map((w) => [w.taskId, w.at - T0]);

  /** A channel outbox writing through `p` and the real MediaStage `stage` (shared by channels). */
  function realBox(
    p: UploadingPort,
    stage: MediaStage,
    channel = 'c',
    mayMention?: (taskId: string) => Promise<boolean>,
  ): ChannelOutbox {
    return new ChannelOutbox(`console:g:${channel}`, {
      port: p,
      log: silentLogger,
      metrics,
      now: Date.now,
      media: stage,
      onPosted: async () => undefined,
      onShown: () => undefined,
      onGone: () => undefined,
      ...(mayMention ? { mayMention } : {}),
    });
  }

  it('GIVEN a channel with no write left for 5 s THEN its final takes a transfer only LEAD_MS before the window comes back (none is kept from other channels meanwhile)', async () => {
    downloads.clear();
    const stage = new MediaStage({ concurrency: 2, log: silentLogger });
    const p = new UploadingPort();
    const box = realBox(p, stage);
    box.attach('a', scope, { card: 'a' }, viewHash(view('a', 'processing')));
    box.attach('b', scope, { card: 'b' }, viewHash(view('b', 'processing')));
    p.script.push({ rate: { remaining: 0, resetAfterMs: 5000, limit: 5 } });
    box.offer('a', view('a', 'processing', 'spent the window'));
    await vi.advanceTimersByTimeAsync(0);
    box.offer('b', mediaView('b'));
    await vi.advanceTimersByTimeAsync(5000 - LEAD_MS - 1);
    expect(downloads.has(urlOf('b'))).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(downloads.has(urlOf('b'))).toBe(true);
    downloads.get(urlOf('b'))?.();
    await vi.advanceTimersByTimeAsync(LEAD_MS);
    expect(p.writes.map((w) => [w.kind, w.taskId, w.at - T0])).toEqual([
      ['edit', 'a', 0],
      ['upload', 'b', 5000],
      ['mention', 'b', 5000],
    ]);
  });

  it('GIVEN a channel with no write left and three finals waiting for a transfer THEN one round of the choice reckons the channel’s budget once, not once per card', async () => {
    downloads.clear();
    const stage = new MediaStage({ concurrency: 2, log: silentLogger });
    const p = new UploadingPort();
    const box = realBox(p, stage);
    const ids = ['a', 'b', 'c', 'd'];
    for (const id of ids) box.attach(id, scope, { card: id }, viewHash(view(id, 'processing')));
    p.script.push({ rate: { remaining: 0, resetAfterMs: 5000, limit: 5 } });
    box.offer('a', view('a', 'processing', 'spent the window'));
    await vi.advanceTimersByTimeAsync(0);
    for (const id of ids.slice(1)) box.offer(id, mediaView(id));
    await vi.advanceTimersByTimeAsync(0);
    const reckoned = vi.spyOn(RatePacer.prototype, 'waitMs');
    stage.reconsider();
    expect(reckoned).toHaveBeenCalledTimes(1);
    reckoned.mockRestore();
    expect(downloads.size).toBe(0);
  });

  it('GIVEN one transfer, in use, and two channels waiting for it, the one that asked first having since spent its window THEN the freed transfer goes to the channel that can write now, and the first gets it LEAD_MS before its window comes back', async () => {
    downloads.clear();
    const stage = new MediaStage({ concurrency: 1, log: silentLogger });
    const [pa, pb, pc] = [new UploadingPort(), new UploadingPort(), new UploadingPort()];
    const [a, b, c] = [realBox(pa, stage, 'a'), realBox(pb, stage, 'b'), realBox(pc, stage, 'c')];
    c.attach('c1', scope, { card: 'c1' }, viewHash(view('c1', 'processing')));
    c.offer('c1', mediaView('c1'));
    await vi.advanceTimersByTimeAsync(0);
    expect(downloads.has(urlOf('c1'))).toBe(true);
    // Channel a: one write left; its final asks, then a new card's post takes that write.
    pa.script.push(
      { rate: { remaining: 1, resetAfterMs: 5000, limit: 5 } },
      { rate: { remaining: 0, resetAfterMs: 4900, limit: 5 } },
    );
    a.attach('a0', scope, { card: 'a0' }, viewHash(view('a0', 'processing')));
    a.attach('a1', scope, { card: 'a1' }, viewHash(view('a1', 'processing')));
    a.offer('a0', view('a0', 'processing', 'first edit'));
    await vi.advanceTimersByTimeAsync(0);
    a.offer('a1', mediaView('a1'));
    await vi.advanceTimersByTimeAsync(0);
    void a.open('a2', scope, view('a2', 'submitted'));
    await vi.advanceTimersByTimeAsync(100);
    b.attach('b1', scope, { card: 'b1' }, viewHash(view('b1', 'processing')));
    b.offer('b1', mediaView('b1'));
    await vi.advanceTimersByTimeAsync(0);
    downloads.get(urlOf('c1'))?.();
    await vi.advanceTimersByTimeAsync(0);
    expect([downloads.has(urlOf('a1')), downloads.has(urlOf('b1'))]).toEqual([false, true]);
    downloads.get(urlOf('b1'))?.();
    // Channel a's window came back 4900 ms after its post (at 0).
    await vi.advanceTimersByTimeAsync(4900 - LEAD_MS - 1 - 100);
    expect(downloads.has(urlOf('a1'))).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(downloads.has(urlOf('a1'))).toBe(true);
    downloads.get(urlOf('a1'))?.();
    await vi.advanceTimersByTimeAsync(LEAD_MS);
    expect([uploadsOf(pc), uploadsOf(pb), uploadsOf(pa)]).toEqual([[['c1', 100]], [['b1', 100]], [['a1', 4900]]]);
    expect(stage.inUse).toBe(0);
  });

  it('GIVEN a final written with room left in the window and another final still fetching its copy THEN the first one’s mention waits until the second final is written', async () => {
    const { box, stage } = uploadingBox();
    for (const id of ['a', 'b']) box.attach(id, scope, { card: id }, viewHash(view(id, 'processing')));
    port.script.push({ rate: { remaining: 4, resetAfterMs: 5000, limit: 5 } });
    box.offer('a', finalView('a'));
    box.offer('b', finalView('b'));
    await vi.advanceTimersByTimeAsync(0);
    stage.fetched[0]?.();
    await vi.advanceTimersByTimeAsync(1000);
    expect(port.writes.map((w) => [w.kind, w.taskId])).toEqual([['upload', 'a']]);
    stage.fetched[1]?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(port.writes.map((w) => [w.kind, w.taskId, w.at - T0])).toEqual([
      ['upload', 'a', 0],
      ['upload', 'b', 1000],
      ['mention', 'a', 1000],
      ['mention', 'b', 1000],
    ]);
  });
});

describe('holdingOf', () => {
  const fresh = { reported: true, limit: 5, remaining: 5, resetInMs: undefined, sinceResetMs: 300 };
  it('GIVEN more cards in flight than a window holds THEN the channel is busy; GIVEN finals that need every write left THEN writes are reserved for them; GIVEN any final waiting THEN mentions wait', () => {
    expect(holdingOf(fresh, { liveCards: 6, finalsWaiting: 0 })).toEqual({
      busy: true,
      reserved: false,
      finals: false,
    });
    expect(holdingOf(fresh, { liveCards: 5, finalsWaiting: 0 })).toEqual(NOT_HOLDING);
    // Before the platform described its budget, 5 is only our guess.
    expect(holdingOf({ ...fresh, reported: false }, { liveCards: 6, finalsWaiting: 0 })).toEqual(NOT_HOLDING);
    expect(holdingOf({ ...fresh, remaining: 2 }, { liveCards: 4, finalsWaiting: 2 })).toEqual({
      busy: false,
      reserved: true,
      finals: true,
    });
    expect(holdingOf({ ...fresh, remaining: 3 }, { liveCards: 4, finalsWaiting: 2 })).toEqual({
      busy: false,
      reserved: false,
      finals: true,
    });
    expect(
      holdingOf({ ...fresh, limit: Infinity, remaining: Infinity }, { liveCards: 100, finalsWaiting: 100 }),
    ).toEqual(NOT_HOLDING);
  });
});

describe('mentionYields', () => {
  it('GIVEN a mention waiting less than MENTION_WAIT_MS THEN it yields to a busy channel and to any final waiting; after THEN only to finals that need the window', () => {
    expect(mentionYields(0)).toBe('behind');
    expect(mentionYields(MENTION_WAIT_MS - 1)).toBe('behind');
    expect(mentionYields(MENTION_WAIT_MS)).toBe('finals');
  });
});

describe('chooseNext', () => {
  const c = (name: string, priority: 0 | 1 | 2, yields: Yields, since = 0) => ({
    priority,
    since,
    yields,
    item: name,
  });
  const all = [c('progress', 2, 'busy', 1), c('mention', 1, 'finals', 2), c('reply', 1, 'never', 3)];
  it('GIVEN a busy channel THEN unfinished cards wait but a mention and a reply go; GIVEN writes reserved for finals THEN only what never yields goes', () => {
    const held = (busy: boolean, reserved: boolean, finals = false) => ({ busy, reserved, finals });
    expect(chooseNext(all, NOT_HOLDING)?.item).toBe('mention');
    expect(chooseNext(all, held(true, false))?.item).toBe('mention');
    expect(chooseNext([all[0]!], held(true, false))).toBeUndefined();
    expect(chooseNext(all, held(false, true))?.item).toBe('reply');
    expect(chooseNext([c('final', 0, 'never', 9), ...all], held(true, true))?.item).toBe('final');
    // A young mention waits behind any final (a busy channel too); progress only for a busy channel or reserved writes.
    const young = [c('progress', 2, 'busy', 1), c('mention', 1, 'behind', 2)];
    expect(chooseNext(young, held(false, false, true))?.item).toBe('progress');
    expect(chooseNext(young, held(true, false))).toBeUndefined();
  });

  it('GIVEN finals found by one poll (one `since`) or offered in another order THEN the one whose task finished first at the provider goes first; without finishing times, the longest waiting', () => {
    const final = (name: string, since: number, finished?: number) => ({
      ...c(name, 0, 'never', since),
      ...(finished !== undefined ? { finished } : {}),
    });
    expect(chooseNext([final('late', 5, 900), final('early', 5, 400)], NOT_HOLDING)?.item).toBe('early');
    expect(chooseNext([final('asked first', 1, 900), final('done first', 7, 400)], NOT_HOLDING)?.item).toBe(
      'done first',
    );
    expect(chooseNext([final('a', 7, 400), final('b', 1)], NOT_HOLDING)?.item).toBe('b');
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

describe('RatePacer ahead', () => {
  it('GIVEN 3 writes left of a window resetting in 4 s, one write answered THEN the write after 0-2 others goes now, after 3 at the reset, after 4-7 once the answered one is a window old, after 8 not within the next window', () => {
    vi.setSystemTime(T0);
    const pacer = new RatePacer({ limit: 5, windowMs: 5000 }, Date.now);
    pacer.spend();
    pacer.learn({ remaining: 3, resetAfterMs: 4000, limit: 5 });
    pacer.settled();
    expect([0, 1, 2, 3, 4, 7, 8].map((ahead) => pacer.waitMs(ahead))).toEqual([0, 0, 0, 4000, 5020, 5020, Infinity]);
  });

  it('GIVEN 4 writes answered 4.5 s ago and one on its way THEN the next waits for the oldest to be a window old; with one more ahead, for the second oldest', () => {
    vi.setSystemTime(T0);
    const pacer = new RatePacer({ limit: 5, windowMs: 5000 }, Date.now);
    for (let i = 0; i < 4; i++) {
      pacer.spend();
      pacer.learn({ remaining: 10, resetAfterMs: 1000, limit: 5 });
      pacer.settled();
      vi.setSystemTime(Date.now() + 100);
    }
    vi.setSystemTime(T0 + 4500);
    pacer.spend();
    expect([pacer.waitMs(0), pacer.waitMs(1)]).toEqual([520, 620]);
  });
});

describe('RatePacer holds', () => {
  it('GIVEN 3 writes left in a window and a hold that says nothing of this budget (the bot-wide limit, a back-off) THEN after the hold 3 go and the 4th waits for the reset', () => {
    vi.setSystemTime(T0);
    const pacer = new RatePacer({ limit: 5, windowMs: 5000 }, Date.now);
    pacer.spend();
    pacer.learn({ remaining: 3, resetAfterMs: 4000, limit: 5 });
    pacer.pause(500);
    expect(pacer.waitMs()).toBe(500);
    vi.setSystemTime(T0 + 500);
    for (let i = 0; i < 3; i++) {
      expect(pacer.waitMs()).toBe(0);
      pacer.spend();
    }
    expect(pacer.waitMs()).toBe(3500);
    expect(pacer.window()).toMatchObject({ limit: 5, remaining: 0 });
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
