/**
 * Storyboards on Discord (issue 20), real discord.js against the fake and the simulator:
 * `/storyboard [model] [resolution] [aspect_ratio] [sound]` answers with a form asking for the
 * shots, one a line; its submission becomes one task sent in Kling's legacy multi-shot form
 * (omni-video with multi_shot + multi_prompt), and the card lists the shots. Every refusal is
 * private, names the shot or option and the rule, and costs no create.
 */
import { describe, expect, it } from 'vitest';
import type { FakeDiscord, InteractionRecord } from './fakes/discord/index.js';
import {
  ALICE,
  CH_A1,
  GUILD_A,
  cardIsFinal,
  cardOf,
  discordRigPerTest,
  embedText,
  ephemeralAnswers,
  taskIdOf,
} from './helpers/discord-harness.js';

const setup = discordRigPerTest();

const storyboard = (options: Record<string, string> = {}) => ({
  guildId: GUILD_A,
  channelId: CH_A1,
  user: ALICE,
  name: 'storyboard',
  options: Object.entries(options).map(([name, value]) => ({ name, type: 3, value })),
});

/** `/storyboard` with options; waits for its answer, which should be the form. */
async function openForm(f: FakeDiscord, options: Record<string, string> = {}): Promise<InteractionRecord> {
  const rec = await f.sendCommand(storyboard(options));
  await f.waitFor(() => rec.ackType !== undefined, 5000);
  return rec;
}

const THREE_SHOTS = '3: a cat jumps off the sofa\n4: it lands softly; looks around\n\n2s - it purrs';

describe('Discord: /storyboard', () => {
  it('the form takes three shots: one omni-video create in the multi-shot form, the shots on the final card', async () => {
    const { s, f } = await setup();
    const definition = f.commands({ guildId: GUILD_A }).find((c) => (c as { name: string }).name === 'storyboard');
    const names = (definition as { options: Array<{ name: string }> }).options.map((o) => o.name);
    expect(names.sort()).toEqual(['aspect_ratio', 'model', 'resolution', 'sound']);

    const form = await openForm(f, { model: 'kling-v3', aspect_ratio: '9:16', resolution: '1080p' });
    expect(form.ackType).toBe(9);
    expect(JSON.stringify(form.modal)).toContain('Shots, one a line');
    expect(s.stats.creates).toBe(0);
    const submit = await f.submitModal({ interactionId: form.id, values: { shots: THREE_SHOTS } });
    await f.waitFor(() => cardIsFinal(s, cardOf(f, submit)), 15_000);
    const card = cardOf(f, submit);
    const id = taskIdOf(card) ?? '';
    expect(s.calls.filter((c) => c.op === 'create').map((c) => c.path)).toEqual(['/v1/videos/omni-video']);
    expect(s.task(id)?.body).toMatchObject({
      model_name: 'kling-v3-omni',
      multi_shot: true,
      shot_type: 'customize',
      multi_prompt: [
        { index: 1, prompt: 'a cat jumps off the sofa', duration: '3' },
        { index: 2, prompt: 'it lands softly; looks around', duration: '4' },
        { index: 3, prompt: 'it purrs', duration: '2' },
      ],
      duration: '9',
      mode: 'pro',
      aspect_ratio: '9:16',
      external_task_id: id,
    });
    // The card's text is Discord markdown: its escapes (`\(`) are not part of what people read.
    const text = embedText(card).replace(/\\\\/g, '');
    expect(text).toContain('Storyboard · 3 shots');
    expect(text).toContain('Shot 1 (3s): a cat jumps off the sofa');
    expect(text).toContain('Shot 2 (4s): it lands softly; looks around');
    expect(text).toContain('Shot 3 (2s): it purrs');
  });

  it('refusals are private, name the shot or option and the rule, and reach no Kling', async () => {
    const { s, f } = await setup();
    const before: Array<[Record<string, string>, RegExp]> = [
      [{ model: 'kling-v2-6' }, /model.*kling-v2-6 does not make multi-shot videos; models that do: kling-3\.0/],
      [{ resolution: '4k' }, /resolution.*legacy API here, which has no 4k/],
      [{ aspect_ratio: '7:3' }, /aspect_ratio.*takes aspect ratios/],
    ];
    const refusedBefore = await Promise.all(before.map(([options]) => f.sendCommand(storyboard(options))));
    const shots: Array<[string, RegExp]> = [
      ['1: a\n1: b\n1: c\n1: d\n1: e\n1: f\n1: g', /shots.*has 7 shots: a storyboard takes 1 to 6/],
      ['3: a cat jumps\n0: it lands', /shot 2 must last at least 1 second/],
      [`4: ${'x'.repeat(513)}`, /shot 1 must be at most 512 characters \(it has 513\)/],
      ['8: a long walk\n8: a longer one', /the shots last 16 s in all \(8 \+ 8\); .* makes 3 to 15 s videos/],
      ['a cat jumps', /shot 1 must be written as `seconds: what happens`/],
    ];
    const submitted: InteractionRecord[] = [];
    for (const [text] of shots) {
      const form = await openForm(f);
      expect(form.ackType).toBe(9);
      submitted.push(await f.submitModal({ interactionId: form.id, values: { shots: text } }));
    }
    const cases: Array<[InteractionRecord, RegExp]> = [
      ...refusedBefore.map((r, i): [InteractionRecord, RegExp] => [r, before[i]?.[1] ?? /never/]),
      ...submitted.map((r, i): [InteractionRecord, RegExp] => [r, shots[i]?.[1] ?? /never/]),
    ];
    await f.waitFor(() => cases.every(([r]) => ephemeralAnswers(f, r).length > 0), 5000);
    for (const [i, [r, says]] of cases.entries()) {
      expect(embedText(ephemeralAnswers(f, r)[0]), `case ${i}`).toMatch(says);
      expect(r.ackType, `case ${i}`).not.toBe(9);
    }
    expect(f.messagesIn(CH_A1).filter((m) => !m.flags || (m.flags & 64) === 0)).toHaveLength(0);
    expect(s.stats.creates).toBe(0);
  });
});
