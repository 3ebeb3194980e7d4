import { describe, expect, it } from 'vitest';
import { parseFlags } from '../commands/flags.js';
import { imagesOf } from '../commands/omni-video.js';
import { expiredImagesReason, linkExpiry, linksExpireAt } from '../src/omni/image-links.js';

const IMAGES = { flag: 'image', options: ['image_1', 'image_2', 'image_3', 'image_4'] } as const;

describe('--image, the one flag that repeats', () => {
  it('GIVEN three --image flags THEN they fill image_1..image_3 in order and the rest is prompt', () => {
    expect(parseFlags('a --image u1 b --image u2 --ar 9:16 --image u3', ['aspect_ratio'], 'video', IMAGES)).toEqual({
      text: 'a b',
      flags: { aspect_ratio: '9:16', image_1: 'u1', image_2: 'u2', image_3: 'u3' },
    });
  });
  it('GIVEN five --image flags THEN refused naming the flag and the most it takes', () => {
    expect(() => parseFlags('x --image a --image b --image c --image d --image e', [], 'video', IMAGES)).toThrow(
      /--image.*5 times.*at most 4/,
    );
  });
  it('GIVEN --image_1 and --image THEN refused (both mean image_1)', () => {
    expect(() => parseFlags('x --image_1 a --image b', ['image_1'], 'video', IMAGES)).toThrow(/image_1/);
  });
  it('GIVEN any other flag twice THEN refused; GIVEN --image on a command without it THEN unknown', () => {
    expect(() => parseFlags('x --ar 1:1 --ar 9:16', ['aspect_ratio'], 'video', IMAGES)).toThrow(/given twice/);
    expect(() => parseFlags('x --image a', ['aspect_ratio'], 'image')).toThrow(/not an option/);
  });
});

describe('reference images in order', () => {
  it('GIVEN image_1 and image_3 THEN refused at image_2 (a gap would renumber @image_3)', () => {
    expect(imagesOf({ image_1: 'a', image_2: 'b' })).toEqual(['a', 'b']);
    expect(() => imagesOf({ image_1: 'a', image_3: 'c' })).toThrow(/image_2/);
  });
});

describe('Discord attachment link expiry', () => {
  const link = (ex: string, host = 'cdn.discordapp.com') =>
    `https://${host}/ephemeral-attachments/1/2/cat.png?ex=${ex}&is=0&hm=00&`;
  it('GIVEN a signed cdn.discordapp.com link THEN its ex (hex seconds) in ms; other hosts none', () => {
    expect(linkExpiry(link('6553f100'))).toBe(0x6553f100 * 1000);
    expect(linkExpiry(link('6553f100', 'media.discordapp.net'))).toBe(0x6553f100 * 1000);
    expect(linkExpiry(link('6553f100', 'example.com'))).toBeUndefined();
    expect(linkExpiry(link('zz'))).toBeUndefined();
    expect(linkExpiry('not a url')).toBeUndefined();
  });
  it('GIVEN several links THEN the earliest; Regenerate refused only from then on', () => {
    const at = linksExpireAt([link('10'), 'https://example.com/a.png', link('f')]);
    expect(at).toBe(15_000);
    expect(expiredImagesReason(at, 14_999)).toBeUndefined();
    expect(expiredImagesReason(at, 15_000)).toMatch(/expired/);
    expect(expiredImagesReason(undefined, 10 ** 15)).toBeUndefined();
  });
});
