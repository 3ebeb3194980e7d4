import { describe, expect, it } from 'vitest';
import { legacyMultiShot, newStandardMultiShot, shotSyntaxPrompt } from '../src/omni/multi-shot.js';
import { parseStoryboard, storyboardViolation, type Shot } from '../src/omni/storyboard.js';

const shotsOf = (text: string): Shot[] => {
  const r = parseStoryboard(text);
  if (!r.ok) throw new Error(r.violation.message);
  return r.value;
};
const refusalOf = (text: string) => {
  const r = parseStoryboard(text);
  if (r.ok) throw new Error('expected a refusal');
  return r.violation;
};
const V3 = { multiShot: true, minSeconds: 3, maxSeconds: 15 };

describe('storyboard parsing', () => {
  it('GIVEN the Slack form with pipes THEN each shot has its seconds and words', () => {
    expect(shotsOf('3: a cat jumps | 4: it lands softly')).toEqual([
      { seconds: 3, prompt: 'a cat jumps' },
      { seconds: 4, prompt: 'it lands softly' },
    ]);
  });

  it('GIVEN the Discord form, one shot per line, with blank lines and "5s" THEN the same shots', () => {
    expect(shotsOf('3: a cat jumps\n\n  5s: it lands softly  \r\n2 seconds - it purrs\n')).toEqual([
      { seconds: 3, prompt: 'a cat jumps' },
      { seconds: 5, prompt: 'it lands softly' },
      { seconds: 2, prompt: 'it purrs' },
    ]);
  });

  it('GIVEN a line with no seconds THEN refused naming the shot and the form', () => {
    const v = refusalOf('3: a cat jumps\nit lands softly');
    expect(v.rule).toBe('shot_form');
    expect(v.message).toMatch(/^shot 2 must be written as `seconds: what happens`/);
  });

  it('GIVEN a shot of 0 s THEN refused: shot 2 must last at least 1 second', () => {
    const v = refusalOf('3: a | 0: b');
    expect(v).toMatchObject({ rule: 'shot_seconds', message: 'shot 2 must last at least 1 second' });
  });

  it('GIVEN a shot of 2.5 s THEN refused: whole seconds', () => {
    expect(refusalOf('2.5: a').message).toBe('shot 1 lasts 2.5 s: use whole seconds');
  });

  it('GIVEN a shot with no words THEN refused naming it', () => {
    expect(refusalOf('3: a | 4:   ')).toMatchObject({
      rule: 'shot_prompt',
      message: expect.stringMatching(/^shot 2 says nothing/),
    });
  });

  it('GIVEN a shot of 513 characters THEN refused; 512 is accepted', () => {
    expect(shotsOf(`3: ${'a'.repeat(512)}`)[0]?.prompt).toHaveLength(512);
    expect(refusalOf(`3: ok | 3: ${'a'.repeat(513)}`).message).toBe(
      'shot 2 must be at most 512 characters (it has 513)',
    );
  });

  it('GIVEN 7 shots THEN refused: 1 to 6; GIVEN nothing THEN refused: at least one', () => {
    expect(refusalOf(Array.from({ length: 7 }, () => '1: x').join('\n'))).toMatchObject({
      rule: 'shot_count',
      message: 'has 7 shots: a storyboard takes 1 to 6',
    });
    expect(refusalOf(' | ').rule).toBe('shot_count');
    expect(shotsOf(Array.from({ length: 6 }, () => '1: x').join('\n'))).toHaveLength(6);
  });
});

describe('storyboard against the model', () => {
  it('GIVEN 3 + 4 s on a 3–15 s multi-shot model THEN accepted', () => {
    expect(storyboardViolation(shotsOf('3: a | 4: b'), 'kling-3.0', V3)).toBeUndefined();
  });

  it('GIVEN 8 + 8 s THEN refused with the total, its parts and the model’s range', () => {
    const v = storyboardViolation(shotsOf('8: a | 8: b'), 'kling-3.0', V3);
    expect(v).toMatchObject({ rule: 'total_duration' });
    expect(v?.message).toBe('the shots last 16 s in all (8 + 8); kling-3.0 makes 3 to 15 s videos');
  });

  it('GIVEN 1 + 1 s THEN refused: under the model’s shortest video', () => {
    expect(storyboardViolation(shotsOf('1: a | 1: b'), 'kling-3.0', V3)?.rule).toBe('total_duration');
  });

  it('GIVEN a model without multi-shot THEN refused naming the model', () => {
    const v = storyboardViolation(shotsOf('3: a'), 'kling-2.6', { ...V3, multiShot: false });
    expect(v).toMatchObject({ rule: 'multi_shot_model', field: 'model' });
    expect(v?.message).toMatch(/^kling-2\.6 does not make multi-shot videos/);
  });
});

describe("Kling's multi-shot forms", () => {
  const shots = [
    { seconds: 3, prompt: 'a cat jumps' },
    { seconds: 4, prompt: 'it lands; softly' },
  ];

  it('GIVEN the new standard THEN the shot syntax in the prompt, multi_shot on, duration the total', () => {
    expect(newStandardMultiShot(shots)).toEqual({
      prompt: 'shot 1, 3, a cat jumps; shot 2, 4, it lands, softly;',
      settings: { multi_shot: true, duration: 7 },
    });
    expect(shotSyntaxPrompt([{ seconds: 5, prompt: 'x' }])).toBe('shot 1, 5, x;');
  });

  it('GIVEN the legacy standard THEN multi_shot, shot_type customize and multi_prompt, durations as strings', () => {
    expect(legacyMultiShot(shots)).toEqual({
      multi_shot: true,
      shot_type: 'customize',
      multi_prompt: [
        { index: 1, prompt: 'a cat jumps', duration: '3' },
        { index: 2, prompt: 'it lands; softly', duration: '4' },
      ],
      duration: '7',
    });
  });
});
