/**
 * Issue 20 on Slack, through the unmodified Bolt app against the fake Slack and the simulator:
 * `/video … --image URL --image URL` goes to Kling's omni-video with the prompt's @image_n
 * translated for the legacy standard; `--image` is the one flag that may repeat; every refusal is
 * an ephemeral naming the rule, and no Kling call.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import { blockTexts, type FakeSlack } from './fakes/slack/index.js';
import { cardIsFinal, ephemeralTextOf, slackRigPerTest, taskIdOfCard } from './helpers/slack-harness.js';

const T1 = 'T0ACME';
const C1 = 'C0GENERAL';
const U1 = 'U0ALICE';
const A = 'https://example.com/refs/alice.png';
const B = 'https://example.com/refs/kitchen.jpg';

let sim: KlingSimulator;
let fake: FakeSlack;
const rig = slackRigPerTest([{ id: T1, domain: 'acme', channels: [C1] }]);

async function setup(env: Record<string, string> = {}) {
  ({ sim, fake } = await rig(env));
}

const send = (command: string, text: string) =>
  fake.sendCommand({ teamId: T1, channelId: C1, userId: U1, command, text });
const ephemeralText = (responseUrlId: string) => ephemeralTextOf(fake, responseUrlId);
const finalCard = (index = 0) =>
  fake.waitFor(() => {
    const m = fake.messagesIn(C1)[index];
    return m && cardIsFinal(sim, m) ? m : undefined;
  }, 10_000);

describe('Slack: /video with --image', () => {
  it('two --image flags named in the prompt: one omni-video create, <<<image_n>>> in the prompt, a final card', async () => {
    await setup();
    const r = await send('/video', `@image_1 walks into @image_2's kitchen --image ${A} --sound on --image <${B}>`);
    expect(r.status).toBe(200);
    const card = await finalCard();
    expect(sim.calls.filter((c) => c.op === 'create').map((c) => c.path)).toEqual(['/v1/videos/omni-video']);
    expect(sim.task(taskIdOfCard(card.blocks) ?? '')?.body).toEqual({
      model_name: 'kling-v3-omni',
      prompt: "<<<image_1>>> walks into <<<image_2>>>'s kitchen",
      image_list: [{ image_url: A }, { image_url: B }],
      mode: 'std',
      aspect_ratio: '16:9',
      duration: '5',
      sound: 'on',
      external_task_id: taskIdOfCard(card.blocks),
    });
    const texts = blockTexts(card.blocks).join('\n');
    expect(texts).toContain('2 reference images');
    expect(texts).toContain('Done');
  });

  it('the first word of /video is prompt, never an image', async () => {
    await setup();
    await send('/video', `${A} as a watercolour`);
    const card = await finalCard();
    expect(sim.calls.filter((c) => c.op === 'create').map((c) => c.path)).toEqual(['/v1/videos/text2video']);
    expect(sim.task(taskIdOfCard(card.blocks) ?? '')?.body).toMatchObject({ prompt: `${A} as a watercolour` });
  });

  it('each refusal is an ephemeral naming the rule; nothing reaches Kling', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'omni-models-'));
    const file = join(dir, 'models.json');
    // An operator's omni model taking two reference images (the built-in ones take seven).
    writeFileSync(
      file,
      JSON.stringify([
        {
          name: 'Two-image Omni',
          legacy: 'kling-two-omni',
          kind: 'omni',
          source: 'test',
          resolutions: ['720p'],
          durations: { min: 3, max: 10 },
          aspectRatios: ['16:9'],
          references: 2,
        },
      ]),
    );
    await setup({ KLING_MODELS_FILE: file });
    const cases: Array<[string, RegExp]> = [
      [`a b c d e ${[A, B, A, B, A].map((u) => `--image ${u}`).join(' ')}`, /--image.*5 times.*at most 4/],
      [`@image_1 meets @image_3 --image ${A} --image ${B}`, /names @image_3, but only image_1 to image_2 were given/],
      ['@image_1 dances', /names @image_1, but no image was given/],
      [`a dancer --model kling-v3 --image ${A}`, /kling-v3 takes no reference images/],
      [
        `three friends --model kling-two-omni --image ${A} --image ${B} --image ${A}`,
        /kling-two-omni takes at most 2 reference images \(you gave 3\)/,
      ],
      ['a fox --ar 9:16 --ar 1:1', /--ar.*given twice/],
      [`a fox --image data:image/png;base64,iVBORw0KGgo=`, /image_1.*http\(s\) link/],
    ];
    const sent: Awaited<ReturnType<typeof send>>[] = [];
    for (const [text] of cases) sent.push(await send('/video', text));
    await fake.waitFor(() => sent.every((r) => ephemeralText(r.responseUrlId) !== ''), 5000);
    for (const [i, r] of sent.entries()) {
      const text = ephemeralText(r.responseUrlId);
      expect(text, `case ${i}`).toMatch(cases[i]?.[1] ?? /x^/);
      expect(text, `case ${i}`).toContain('Nothing was sent to Kling');
    }
    expect(fake.messagesIn(C1)).toEqual([]);
    expect(sim.calls).toEqual([]);
  });
});
