/**
 * Storyboards on Slack (issue 20), through the unmodified Bolt app against the fake Slack and the
 * simulator: `/storyboard 3: a cat jumps | 4: it lands softly --model kling-v3` is one task sent in
 * Kling's legacy multi-shot form (omni-video with multi_shot + multi_prompt), its card listing the
 * shots; each refusal is an ephemeral naming the shot or option and the rule, with no Kling call.
 */
import { describe, expect, it } from 'vitest';
import { blockTexts, type FakeSlack } from './fakes/slack/index.js';
import { cardIsFinal, ephemeralTextOf, slackRigPerTest, taskIdOfCard } from './helpers/slack-harness.js';

const T1 = 'T0ACME';
const C1 = 'C0GENERAL';
const rig = slackRigPerTest([{ id: T1, domain: 'acme', channels: [C1] }]);
const storyboard = (fake: FakeSlack, text: string) =>
  fake.sendCommand({ teamId: T1, channelId: C1, userId: 'U0ALICE', command: '/storyboard', text });

describe('Slack: /storyboard', () => {
  it('three shots split by |: one omni-video create in the multi-shot form, the shots on the final card', async () => {
    const { sim, fake } = await rig();
    const send = (text: string) => storyboard(fake, text);
    const r = await send('3: a cat jumps | 4: it lands softly --model kling-v3 --ar 1:1 --res 720p | 2: it purrs');
    expect(r.status).toBe(200);
    const card = await fake.waitFor(() => {
      const m = fake.messagesIn(C1)[0];
      return m && cardIsFinal(sim, m) ? m : undefined;
    }, 10_000);
    const id = taskIdOfCard(card.blocks) ?? '';
    expect(sim.calls.filter((c) => c.op === 'create').map((c) => c.path)).toEqual(['/v1/videos/omni-video']);
    expect(sim.task(id)?.body).toEqual({
      model_name: 'kling-v3-omni',
      prompt: 'a cat jumps it lands softly it purrs',
      multi_shot: true,
      shot_type: 'customize',
      multi_prompt: [
        { index: 1, prompt: 'a cat jumps', duration: '3' },
        { index: 2, prompt: 'it lands softly', duration: '4' },
        { index: 3, prompt: 'it purrs', duration: '2' },
      ],
      duration: '9',
      mode: 'std',
      aspect_ratio: '1:1',
      external_task_id: id,
    });
    const texts = blockTexts(card.blocks).join('\n');
    expect(texts).toContain('Storyboard · 3 shots');
    expect(texts).toMatch(/>Shot 1 \(3s\): a cat jumps\n>Shot 2 \(4s\): it lands softly\n>Shot 3 \(2s\): it purrs/);
  });

  it('each refusal is an ephemeral naming the shot or option and the rule; nothing reaches Kling', async () => {
    const { sim, fake } = await rig();
    const send = (text: string) => storyboard(fake, text);
    const cases: Array<[string, RegExp]> = [
      ['', /shots.*are missing/],
      [
        '3: a cat | 4: a dog --model kling-v2-6',
        /kling-v2-6 does not make multi-shot videos; models that do: kling-3\.0/,
      ],
      ['1: a | 1: b | 1: c | 1: d | 1: e | 1: f | 1: g', /has 7 shots: a storyboard takes 1 to 6/],
      ['3: a cat jumps | 0: it lands', /shot 2 must last at least 1 second/],
      ['3: a cat jumps | 1.5: it lands', /shot 2 lasts 1\.5 s: use whole seconds/],
      [`3: a | 4: ${'y'.repeat(600)}`, /shot 2 must be at most 512 characters \(it has 600\)/],
      ['10: a | 10: b', /the shots last 20 s in all \(10 \+ 10\)/],
      ['2: a', /the shots last 2 s in all/],
      ['3: a | 4: b --res 4k', /resolution.*no 4k/],
      ['3: a | 4: b --model kling-v3 --model kling-v3', /--model.*given twice/],
    ];
    const sent: Awaited<ReturnType<typeof storyboard>>[] = [];
    for (const [text] of cases) sent.push(await send(text));
    await fake.waitFor(() => sent.every((r) => ephemeralTextOf(fake, r.responseUrlId) !== ''), 5000);
    for (const [i, r] of sent.entries()) {
      const text = ephemeralTextOf(fake, r.responseUrlId);
      expect(text, `case ${i}`).toMatch(cases[i]?.[1] ?? /x^/);
      expect(text, `case ${i}`).toContain('Nothing was sent to Kling');
    }
    expect(fake.messagesIn(C1)).toEqual([]);
    expect(sim.calls).toEqual([]);
  });
});
