/**
 * One owner for the card (issue 17): what a record says about its card is written by
 * outbox/card-records.ts alone; the tracker's merge and an abandoned record take its pure parts.
 */
import Keyv from 'keyv';
import { describe, expect, it, vi } from 'vitest';
import type { TaskRecord } from '../src/domain.js';
import { silentLogger } from '../src/log.js';
import { InteractionClosedError } from '../src/errors.js';
import { CARD_BY_OUTBOX, type CardAnswer, type CardAnswering } from '../src/invocation.js';
import {
  admittedCard,
  answeredOn,
  CardRecords,
  keepCard,
  toBePosted,
  viewHash,
  withoutCard,
  type AdmittedCard,
} from '../src/outbox/card-records.js';
import { renderCard } from '../src/render/card.js';
import type { CardView } from '../src/render/view.js';
import { keyvStorage } from '../src/store/storage.js';
import { createTask } from '../src/store/task-store.js';

const T0 = 1_800_000_000_000;

type InteractionCard = Extract<CardAnswering, { by: 'interaction' }>;

const answering = (handle: Record<string, unknown>): CardAnswering => ({
  by: 'interaction',
  handle,
  answer: () => Promise.reject(new Error('not asked here')),
});

function record(over: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id: 'kbcards000001',
    scope: { platform: 'console', guildId: 'g', channelId: 'c', userId: 'u', userName: 'u' },
    request: { kind: 'image', prompt: 'a lighthouse', model: 'kling-v2', aspect_ratio: '1:1', n: 1 },
    state: 'pending',
    createdAt: T0,
    updatedAt: T0,
    ...over,
  };
}

async function stored(rec: TaskRecord) {
  const { tasks } = keyvStorage(new Keyv());
  await createTask(tasks, rec);
  return tasks;
}

describe('the card fields as pure functions', () => {
  it("GIVEN the card is to be the interaction's answer THEN a new record names its handle and waits; posted by the outbox, nothing", () => {
    expect(admittedCard(answering({ token: 't' }))).toEqual({ card: { token: 't' }, unanswered: true });
    expect(admittedCard(CARD_BY_OUTBOX)).toEqual({});
  });

  it('GIVEN the card answered the interaction THEN the record names it, with what it shows, and no longer waits', () => {
    const waiting = record(admittedCard(answering({ token: 't' })));
    expect(answeredOn(waiting, { token: 't', messageId: 'm' }, 'sig')).toEqual({
      ...record(),
      card: { token: 't', messageId: 'm' },
      cardSig: 'sig',
    });
    // A placeholder shows nothing yet: no signature.
    expect(answeredOn(waiting, { token: 't' })).toEqual({ ...record(), card: { token: 't' } });
  });

  it('GIVEN the interaction cannot carry the card THEN the record forgets the handle and the wait (the outbox posts one)', () => {
    expect(toBePosted(record(admittedCard(answering({ token: 't' }))))).toEqual(record());
  });

  it('GIVEN a status update THEN the stored card fields stay, and a handle only the update knows is kept', () => {
    const before = record({ card: { m: 1 }, cardSig: 'shown', finalShown: true });
    const next = record({ state: 'processing', card: { m: 2 }, cardSig: 'stale', finalShown: false });
    expect(keepCard(before, next)).toMatchObject({
      state: 'processing',
      card: { m: 1 },
      cardSig: 'shown',
      finalShown: true,
    });
    expect(keepCard(record(), next).card).toEqual({ m: 2 });
  });

  it('GIVEN a record nobody was shown THEN it waits for no answer and counts as shown', () => {
    const closed = withoutCard(record({ unanswered: true, card: { m: 1 } }));
    expect(closed.unanswered).toBeUndefined();
    expect(closed.finalShown).toBe(true);
  });
});

describe('CardRecords', () => {
  const view = (rec: TaskRecord) => renderCard(rec, { now: T0 });

  it('GIVEN the card answered the interaction THEN the record names it, stops waiting, and keeps what it shows', async () => {
    const tasks = await stored(record(admittedCard(answering({ token: 't' }))));
    const cards = new CardRecords(tasks, silentLogger);
    const sig = await cards.answered('kbcards000001', { message: 'm1' }, view(record()));
    const after = await tasks.get('kbcards000001');
    expect(after).toMatchObject({ card: { message: 'm1' }, cardSig: sig });
    expect(after?.unanswered).toBeUndefined();
    // The same view signs the same, another view differently.
    expect(await cards.answered('kbcards000001', { message: 'm1' }, view(record()))).toBe(sig);
    expect(await cards.answered('kbcards000001', { message: 'm1' }, view(record({ state: 'failed' })))).not.toBe(sig);
  });

  it('GIVEN a placeholder answer THEN the handle is stored without a signature; GIVEN no answer THEN the handle goes', async () => {
    const tasks = await stored(record(admittedCard(answering({ token: 't' }))));
    const cards = new CardRecords(tasks, silentLogger);
    expect(await cards.answered('kbcards000001', { message: 'ph' })).toBeUndefined();
    expect(await tasks.get('kbcards000001')).toMatchObject({ card: { message: 'ph' } });
    expect((await tasks.get('kbcards000001'))?.cardSig).toBeUndefined();
    await cards.unanswerable('kbcards000001');
    const after = await tasks.get('kbcards000001');
    expect(after?.card).toBeUndefined();
    expect(after?.unanswered).toBeUndefined();
  });

  describe("answerFirst: a new task whose card is its interaction's answer", () => {
    const answeringWith = (answer: () => Promise<CardAnswer>, asked: CardView[]): InteractionCard => ({
      by: 'interaction',
      handle: { token: 't' },
      answer: (v) => {
        asked.push(v);
        return answer();
      },
    });
    async function admitInto() {
      const { tasks } = keyvStorage(new Keyv());
      const admitted: AdmittedCard[] = [];
      const admit = async (fields: AdmittedCard) => {
        admitted.push(fields);
        const rec = record(fields);
        await createTask(tasks, rec);
        return rec;
      };
      return { tasks, admitted, admit };
    }

    it('GIVEN the card shown as the answer THEN admitted naming the handle and waiting; once ready the record names what it shows, then resolved', async () => {
      const { tasks, admitted, admit } = await admitInto();
      const asked: CardView[] = [];
      let go = () => {};
      const ready = new Promise<void>((r) => (go = r));
      const answer = async (): Promise<CardAnswer> => ({ kind: 'shown', handle: { token: 't', m: 1 }, ready });
      let settled = false;
      const first = new CardRecords(tasks, silentLogger)
        .answerFirst(answeringWith(answer, asked), admit, view)
        .finally(() => (settled = true));
      await vi.waitFor(() => expect(asked).toHaveLength(1));
      expect(admitted).toEqual([{ card: { token: 't' }, unanswered: true }]);
      expect(asked).toEqual([view(record(admitted[0]))]);
      // Until ready (a burst's other answers out), the record still waits: its write is not the answers' work.
      await new Promise((r) => setImmediate(r));
      expect(await tasks.get('kbcards000001')).toEqual(record(admitted[0]));
      expect(settled).toBe(false);
      go();
      const done = await first;
      const after = await tasks.get('kbcards000001');
      expect(after).toMatchObject({ card: { token: 't', m: 1 }, cardSig: viewHash(asked[0]!) });
      expect(after?.unanswered).toBeUndefined();
      expect(done).toEqual({ kind: 'answered', rec: after });
    });

    it('GIVEN the interaction cannot carry the card THEN the record forgets the handle and the view is to be posted', async () => {
      const { tasks, admit } = await admitInto();
      const asked: CardView[] = [];
      const unavailable = async (): Promise<CardAnswer> => ({ kind: 'unavailable' });
      const first = await new CardRecords(tasks, silentLogger).answerFirst(
        answeringWith(unavailable, asked),
        admit,
        view,
      );
      expect(first).toEqual({ kind: 'post', rec: record(), view: asked[0] });
      expect(await tasks.get('kbcards000001')).toEqual(record());
    });

    it('GIVEN the interaction closed THEN closed, the record left waiting; GIVEN admit refuses THEN thrown and nothing asked', async () => {
      const { tasks, admit } = await admitInto();
      const asked: CardView[] = [];
      const closed = new InteractionClosedError('answered elsewhere');
      const first = await new CardRecords(tasks, silentLogger).answerFirst(
        answeringWith(() => Promise.reject(closed), asked),
        admit,
        view,
      );
      expect(first).toEqual({ kind: 'closed', rec: record({ card: { token: 't' }, unanswered: true }), error: closed });
      expect((await tasks.get('kbcards000001'))?.unanswered).toBe(true);
      const refused = new Error('over the cap');
      await expect(
        new CardRecords(tasks, silentLogger).answerFirst(
          answeringWith(() => Promise.reject(new Error('not asked')), asked),
          () => Promise.reject(refused),
          view,
        ),
      ).rejects.toBe(refused);
      expect(asked).toHaveLength(1);
    });
  });

  it('GIVEN a store that fails THEN an answered card is logged, not thrown (the card is up)', async () => {
    const errors: string[] = [];
    const log = { ...silentLogger, error: (_o: unknown, msg: string) => void errors.push(msg) } as typeof silentLogger;
    const cards = new CardRecords({ update: () => Promise.reject(new Error('down')) }, log);
    await expect(cards.answered('kbx', { message: 'm' }, view(record()))).resolves.toMatch(/./);
    expect(errors).toEqual(['the task card is shown but its message id could not be stored']);
  });

  it('GIVEN the outbox reports THEN a mid-flight edit writes nothing, a final, a moved handle or gone does, and settled waits', async () => {
    const tasks = await stored(record({ card: { message: 'm1' } }));
    const cards = new CardRecords(tasks, silentLogger);
    cards.shown('kbcards000001', { sig: 'mid', final: false });
    await cards.settled();
    expect((await tasks.get('kbcards000001'))?.cardSig).toBeUndefined();
    cards.shown('kbcards000001', { sig: 'moved', final: false, handle: { message: 'm2' } });
    cards.shown('kbcards000001', { sig: 'end', final: true });
    await cards.settled();
    expect(await tasks.get('kbcards000001')).toMatchObject({
      card: { message: 'm2' },
      cardSig: 'end',
      finalShown: true,
    });
    const gone = await stored(record({ id: 'kbcards000002' }));
    const other = new CardRecords(gone, silentLogger);
    other.gone('kbcards000002');
    await other.settled();
    expect((await gone.get('kbcards000002'))?.finalShown).toBe(true);
  });
});
