/**
 * The Redis backend writes its records itself, in the text keyv wrote there before (issue 17):
 * checked against keyv's own serializer, the writer of every Redis an earlier version left behind.
 */
import Keyv from 'keyv';
import { describe, expect, it } from 'vitest';
import { decodeStored, encodeStored, openKeyv } from '../src/store/kv.js';
import { decodeEnvelope, decodeRecord, encodeRecord } from '../src/store/record-codec.js';

const keyvText = async (value: unknown, expires?: number): Promise<string> => {
  const text: unknown = await new Keyv().serialize?.({ value, expires });
  if (typeof text !== 'string') throw new Error('keyv did not serialise to text');
  return text;
};

const record = {
  id: 'kbcodec000001',
  request: { prompt: ':) a prompt that starts with a colon', negative_prompt: '::double', model: 'kling-v2' },
  statusMsg: 'plain',
  tags: [':one', 'two'],
  credits: undefined,
  n: 3,
};

describe('record-codec', () => {
  it('GIVEN a record with strings that start with ":" THEN it is written exactly as keyv wrote it', async () => {
    expect(encodeRecord(record)).toBe(await keyvText(record));
    expect(encodeRecord('kbid')).toBe(await keyvText('kbid'));
  });

  it('GIVEN what keyv wrote THEN it reads back as the value keyv was given, colons and all', async () => {
    const { credits: _dropped, ...stored } = record;
    expect(decodeRecord(await keyvText(record))).toEqual(stored);
    expect(decodeRecord(await keyvText('kbid'))).toBe('kbid');
  });

  it('GIVEN an expiry inside the text THEN it is read, and a lapsed value is absent', async () => {
    const text = await keyvText(7, 5000);
    expect(decodeEnvelope(text)).toEqual({ value: 7, expires: 5000 });
    expect(decodeRecord(text, 4999)).toBe(7);
    expect(decodeRecord(text, 5000)).toBeUndefined();
    expect(decodeRecord(undefined)).toBeUndefined();
    expect(decodeRecord(null)).toBeUndefined();
  });
});

/** A value whose text comes from its class's `toJSON`, which writes a string that starts with ":". */
class Cents {
  constructor(readonly cents: number) {}
  toJSON() {
    return `:${this.cents}`;
  }
}

describe('the stored text (keyv on SQLite and memory, and Redis records)', () => {
  const keyv = new Keyv();
  const keyvWrites = async (data: unknown) => keyv.serialize?.(data as never);
  const values: Array<[string, unknown]> = [
    ['a record in its envelope', { value: record, expires: 1234 }],
    ['a plain record', { value: { ...record, request: { prompt: 'plain' }, tags: ['one'] } }],
    ['a number', { value: 7 }],
    ['a list of ids', { value: ['kb1', 'kb2'] }],
    ['a ledger', { value: { g: 12.5, 'u:1': 3 } }],
    ['a string', 'kbid'],
    ['a string that starts with ":"', ':kbid'],
    ['nested colon strings', { value: [{ a: [':x'] }] }],
    ['a Buffer', { value: Buffer.from('bytes') }],
    ['a Date', { value: new Date(0) }],
    ['an array with a hole', { value: Object.assign(new Array<number>(3), { 0: 1, 2: 2 }) }],
    ['an array with undefined', { value: [1, undefined, 2] }],
    ['an array with a function', { value: [1, () => 2] }],
    ['an object with toJSON', { value: { toJSON: () => ':j' } }],
    ['an instance whose class has toJSON', { value: new Cents(5) }],
    ['null', null],
    ['undefined', undefined],
    ['NaN', { value: Number.NaN }],
  ];

  it.each(values)('GIVEN %s THEN it is written exactly as keyv writes it', async (_name, data) => {
    expect(encodeStored(data)).toBe(await keyvWrites(data));
  });

  it.each(values)('GIVEN what keyv wrote for %s THEN it reads back as keyv reads it', async (_name, data) => {
    const text = await keyvWrites(data);
    if (typeof text !== 'string') throw new Error('keyv did not write text');
    expect(decodeStored(text)).toEqual(await keyv.deserialize?.(text));
  });

  it('GIVEN a keyv store opened by the bot THEN it writes and reads with this codec', async () => {
    const kv = openKeyv('memory://');
    expect(kv.serialize).toBe(encodeStored);
    await kv.set('k', { prompt: ':colon', n: 1 });
    expect(await kv.get('k')).toEqual({ prompt: ':colon', n: 1 });
  });
});
