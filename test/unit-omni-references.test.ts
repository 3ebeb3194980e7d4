import { describe, expect, it } from 'vitest';
import { legacyReferences, namedImages, newStandardReferences, referenceViolation } from '../src/omni/references.js';

describe('reference images named in a prompt', () => {
  it('GIVEN a prompt naming two images, some twice THEN each number is found once, in order', () => {
    expect(namedImages('@image_2 walks into @image_1 kitchen; @image_2 waves')).toEqual([1, 2]);
  });

  it('GIVEN an e-mail address or a longer word THEN it is not a reference', () => {
    expect(namedImages('write to me@image_1.com about @image_1x or x@image_2')).toEqual([]);
  });

  it('GIVEN two images and a prompt naming both THEN nothing is refused', () => {
    expect(referenceViolation('@image_1 meets @image_2', 2, 'kling-3.0-omni', 4)).toBeUndefined();
  });

  it('GIVEN images the prompt does not name THEN they are allowed (Kling uses them as references)', () => {
    expect(referenceViolation('a sunny day', 3, 'kling-3.0-omni', 4)).toBeUndefined();
  });

  it('GIVEN a prompt naming image 3 with two images THEN refused naming @image_3 and what was given', () => {
    const v = referenceViolation('@image_1 hands @image_3 a cup', 2, 'kling-3.0-omni', 4);
    expect(v?.rule).toBe('unknown_image');
    expect(v?.field).toBe('prompt');
    expect(v?.message).toContain('@image_3');
    expect(v?.message).toContain('image_1 to image_2');
  });

  it('GIVEN a prompt naming an image and no image at all THEN refused saying how to give it', () => {
    const v = referenceViolation('@image_1 dances', 0, 'kling-3.0-omni', 4);
    expect(v?.rule).toBe('unknown_image');
    expect(v?.message).toMatch(/no image was given.*image_1/);
  });

  it('GIVEN @image_0 THEN refused: images are numbered from 1', () => {
    expect(referenceViolation('@image_0 dances', 1, 'kling-3.0-omni', 4)?.rule).toBe('unknown_image');
  });

  it('GIVEN more images than the model takes THEN refused with its limit and the count', () => {
    const v = referenceViolation('', 5, 'kling-o1', 4);
    expect(v).toMatchObject({ rule: 'too_many_images', field: 'image_5' });
    expect(v?.message).toBe('kling-o1 takes at most 4 reference images (you gave 5)');
  });

  it('GIVEN images with a model that takes none THEN refused naming the model', () => {
    const v = referenceViolation('@image_1 runs', 1, 'kling-v2-6', 0);
    expect(v?.rule).toBe('images_not_taken');
    expect(v?.message).toMatch(/^kling-v2-6 takes no reference images/);
  });

  it('GIVEN a prompt for the legacy standard THEN every @image_n becomes <<<image_n>>>', () => {
    expect(legacyReferences('@image_1 walks into @Image_2 kitchen, mail me@image_1.com')).toBe(
      '<<<image_1>>> walks into <<<image_2>>> kitchen, mail me@image_1.com',
    );
  });

  it('GIVEN a prompt for the new standard THEN references keep Kling’s @image_n spelling', () => {
    expect(newStandardReferences('@IMAGE_01 and @image_2')).toBe('@image_1 and @image_2');
  });
});
