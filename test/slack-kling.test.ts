/**
 * Kling's current surface on Slack (issue 11): the unmodified Bolt app against the fake Slack and
 * the simulator. /video on kling-v3 at 15 s with sound through to the final card; `--end` on
 * /animate; `help` lists the models; refusals from the capability table never reach Kling.
 */
import { describe, expect, it } from 'vitest';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import { blockTexts, type FakeSlack } from './fakes/slack/index.js';
import { cardIsFinal, ephemeralTextOf, slackRigPerTest, taskIdOfCard } from './helpers/slack-harness.js';

const T1 = 'T0ACME';
const C1 = 'C0GENERAL';
const U1 = 'U0ALICE';

let sim: KlingSimulator;
let fake: FakeSlack;
const rig = slackRigPerTest([{ id: T1, domain: 'acme', channels: [C1] }]);

async function setup(env: Record<string, string> = {}) {
  ({ sim, fake } = await rig(env));
}

const send = (command: string, text: string) =>
  fake.sendCommand({ teamId: T1, channelId: C1, userId: U1, command, text });
const ephemeralText = (responseUrlId: string) => ephemeralTextOf(fake, responseUrlId);

describe('Slack end to end: the capability table', () => {
  it('/video on kling-v3 at 15 s with sound ends on its video; the card says it has sound', async () => {
    await setup();
    const r = await send(
      '/video',
      'a red fox running through snow --model kling-v3 --duration 15 --sound on --mode pro',
    );
    expect(r.status).toBe(200);
    expect(r.ackMs).toBeLessThan(3000);
    const card = await fake.waitFor(() => {
      const [m] = fake.messagesIn(C1);
      return m && cardIsFinal(sim, m) && m;
    }, 10_000);
    const taskId = taskIdOfCard(card.blocks) ?? '';
    expect(sim.task(taskId)?.body).toMatchObject({
      model_name: 'kling-v3',
      duration: '15',
      sound: 'on',
      mode: 'pro',
      prompt: 'a red fox running through snow',
    });
    const texts = blockTexts(card.blocks).join('\n');
    expect(texts).toContain('Kling 3.0 · pro · 15s · 16:9 · 🔊 with sound');
    expect(texts).toContain('Done');
    expect(sim.stats.creates).toBe(1);
  });

  it('a refused combination is an ephemeral error naming the model and the rule; /video help lists the models; nothing reaches Kling', async () => {
    await setup();
    const refused = await send('/video', 'a fox --model kling-v2-6 --sound on');
    const help = await send('/video', 'help');
    await fake.waitFor(
      () => ephemeralText(refused.responseUrlId) !== '' && ephemeralText(help.responseUrlId) !== '',
      5000,
    );
    expect(ephemeralText(refused.responseUrlId)).toContain('kling-v2-6 has sound only at 1080p');
    expect(ephemeralText(help.responseUrlId)).toMatch(/kling-3.0: Kling 3.0, also kling-v3, 3–15 s/);
    expect(ephemeralText(help.responseUrlId)).toContain('--model');
    expect(fake.messagesIn(C1)).toEqual([]);
    expect(sim.calls).toEqual([]);
  });

  it('/animate URL … --end URL sends the end frame as image_tail', async () => {
    await setup();
    await send(
      '/animate',
      'https://example.com/start.png the cat waves --end https://example.com/end.png --model kling-v2-5-turbo --mode pro',
    );
    const card = await fake.waitFor(() => {
      const [m] = fake.messagesIn(C1);
      return m && sim.task(taskIdOfCard(m.blocks) ?? '') ? m : undefined;
    }, 10_000);
    expect(sim.task(taskIdOfCard(card.blocks) ?? '')?.body).toMatchObject({
      image: 'https://example.com/start.png',
      image_tail: 'https://example.com/end.png',
      prompt: 'the cat waves',
      mode: 'pro',
    });
  });

  it('the Extend button on a finished card posts a new card that links to its parent and ends on the longer video', async () => {
    await setup();
    await send('/video', 'a hummingbird in slow motion --model kling-v1-6');
    const card = await fake.waitFor(() => {
      const [m] = fake.messagesIn(C1);
      return m && cardIsFinal(sim, m) ? m : undefined;
    }, 10_000);
    const parentId = taskIdOfCard(card.blocks) ?? '';
    const click = await fake.clickButton({
      teamId: T1,
      channelId: C1,
      userId: 'U0BOB',
      actionId: 'kb_extend',
      messageTs: card.ts,
    });
    expect(click.status).toBe(200);
    const extended = await fake.waitFor(() => {
      const m = fake.messagesIn(C1)[1];
      return m && cardIsFinal(sim, m) ? m : undefined;
    }, 10_000);
    const extId = taskIdOfCard(extended.blocks) ?? '';
    expect(sim.task(extId)?.body).toMatchObject({
      prompt: 'a hummingbird in slow motion',
      video_id: expect.any(String),
    });
    const texts = blockTexts(extended.blocks).join('\n');
    expect(texts).toContain('Extends');
    expect(texts).toContain(parentId);
  });
});
