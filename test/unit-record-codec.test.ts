/**
 * The Redis backend writes its records itself, in the text keyv wrote there before (issue 17):
 * checked against keyv's own serializer, the writer of every Redis an earlier version left behind.
 */
import Keyv from 'keyv';
import { describe, expect, it } from 'vitest';
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
