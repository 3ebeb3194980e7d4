/**
 * Editing a finished video on Slack (issue 20), the unmodified Bolt app against the fake Slack and
 * the simulator: `/edit id instruction`, and the card's Edit button → views.open with the click's
 * trigger → view_submission → a new omni-video task with Kling's URL of the source as base video.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import { blockTexts, findButtons, type FakeSlack } from './fakes/slack/index.js';
import { cardIsFinal, expectedVideoUrl, startSlackRig, taskIdOfCard } from './helpers/slack-harness.js';

const T1 = 'T0ACME';
const C1 = 'C0GENERAL';
const U1 = 'U0ALICE';
const U2 = 'U0BOB';

let sim: KlingSimulator;
let fake: FakeSlack;
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function setup() {
  ({ sim, fake } = await startSlackRig([{ id: T1, domain: 'acme', channels: [C1] }], {}, (close) =>
    cleanups.push(close),
  ));
}

const send = (command: string, text: string, userId = U1) =>
  fake.sendCommand({ teamId: T1, channelId: C1, userId, command, text });
const finalCard = (index: number) =>
  fake.waitFor(() => {
    const m = fake.messagesIn(C1)[index];
    return m && cardIsFinal(sim, m) ? m : undefined;
  }, 10_000);
const baseVideoOf = (id: string) =>
  (sim.task(id)?.body['video_list'] as Array<Record<string, unknown>> | undefined)?.[0];

describe('Slack: editing a finished video', () => {
  it('/edit id instruction: an omni-video create with the source’s Kling URL as base; the card links the source', async () => {
    await setup();
    await send('/video', 'a quiet street at noon');
    const source = await finalCard(0);
    const sourceId = taskIdOfCard(source.blocks) ?? '';
    await send('/edit', `${sourceId} make it snow`, U2);
    const edited = await finalCard(1);
    const id = taskIdOfCard(edited.blocks) ?? '';
    expect(sim.task(id)?.body).toMatchObject({ model_name: 'kling-v3-omni', prompt: 'make it snow' });
    expect(baseVideoOf(id)).toEqual({
      video_url: expectedVideoUrl(sim, sourceId),
      refer_type: 'base',
      keep_original_sound: 'yes',
    });
    const texts = blockTexts(edited.blocks).join('\n');
    expect(texts).toContain('Edits');
    expect(texts).toContain(sourceId);
  });

  it('Edit button → views.open with the click’s trigger → view_submission → a new task', async () => {
    await setup();
    await send('/video', 'a lighthouse by day');
    const source = await finalCard(0);
    const sourceId = taskIdOfCard(source.blocks) ?? '';
    expect(findButtons(source.blocks).map((b) => b.value)).toContain(`kb:e:${sourceId}`);
    const click = await fake.clickButton({
      teamId: T1,
      channelId: C1,
      userId: U2,
      actionId: 'kb_edit',
      messageTs: source.ts,
    });
    expect(click.status).toBe(200);
    const view = await fake.waitFor(() => fake.views.find((v) => v.userId === U2), 5000);
    expect(JSON.stringify(view.view)).toContain('What should change?');
    await fake.submitView({ viewId: view.id, values: { instruction: 'turn day into night' } });
    const edited = await finalCard(1);
    const id = taskIdOfCard(edited.blocks) ?? '';
    expect(sim.task(id)?.body).toMatchObject({ prompt: 'turn day into night' });
    expect(baseVideoOf(id)?.['video_url']).toBe(expectedVideoUrl(sim, sourceId));
    expect(blockTexts(edited.blocks).join('\n')).toContain(sourceId);
    expect(sim.stats.creates).toBe(2);
  });
});
