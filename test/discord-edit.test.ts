/**
 * Editing a finished video on Discord (issue 20), real discord.js against the fake and the
 * simulator: `/edit id instruction` and the card's Edit button → modal → submission both make a new
 * omni-video task with Kling's own URL of the source as the base video; refusals are private, name
 * the rule and cost no create.
 */
import { describe, expect, it } from 'vitest';
import type { KlingSimulator } from '../tools/kling-simulator/simulator.js';
import type { FakeDiscord, InteractionRecord } from './fakes/discord/index.js';
import {
  ALICE,
  BOB,
  CH_A1,
  GUILD_A,
  cardIsFinal,
  cardOf,
  customIds,
  discordRigPerTest,
  embedText,
  ephemeralAnswers,
  expectedVideoUrl,
  taskIdOf,
  video,
} from './helpers/discord-harness.js';

const rig = discordRigPerTest();
const setup = (env: Record<string, string> = {}) => rig({ env });

/** A finished /video card: the interaction, the card and our task id. */
async function finishedVideo(f: FakeDiscord, s: KlingSimulator, prompt: string, more: Array<[string, string]> = []) {
  const rec = await f.sendCommand({
    ...video(CH_A1, ALICE, prompt),
    options: [{ name: 'prompt', type: 3, value: prompt }, ...more.map(([name, value]) => ({ name, type: 3, value }))],
  });
  await f.waitFor(() => cardIsFinal(s, cardOf(f, rec)), 15_000);
  const card = cardOf(f, rec);
  return { rec, card, id: taskIdOf(card) ?? '' };
}

const edit = (id: string, instruction: string) => ({
  guildId: GUILD_A,
  channelId: CH_A1,
  user: BOB,
  name: 'edit',
  options: [
    { name: 'id', type: 3, value: id },
    { name: 'instruction', type: 3, value: instruction },
  ],
});

/** The base video an omni-video create sent. */
const baseVideoOf = (s: KlingSimulator, id: string) =>
  (s.task(id)?.body['video_list'] as Array<Record<string, unknown>> | undefined)?.[0];

describe('Discord: editing a finished video', () => {
  it('/edit id instruction: one omni-video create with Kling’s URL of the source as base; the final card links the source', async () => {
    const { s, f } = await setup();
    const source = await finishedVideo(f, s, 'a quiet street at noon');
    const rec = await f.sendCommand(edit(source.id, 'make it snow'));
    await f.waitFor(() => cardIsFinal(s, cardOf(f, rec)), 15_000);
    const id = taskIdOf(cardOf(f, rec)) ?? '';
    expect(s.calls.filter((c) => c.op === 'create').map((c) => c.path)).toEqual([
      '/v1/videos/text2video',
      '/v1/videos/omni-video',
    ]);
    expect(s.task(id)?.body).toMatchObject({ model_name: 'kling-v3-omni', prompt: 'make it snow' });
    expect(baseVideoOf(s, id)).toEqual({
      video_url: expectedVideoUrl(s, source.id),
      refer_type: 'base',
      keep_original_sound: 'yes',
    });
    const text = embedText(cardOf(f, rec));
    expect(text).toContain('Edits');
    expect(text).toContain(source.id);
    expect(text).toContain(expectedVideoUrl(s, source.id));
  });

  it('Edit button → modal “What should change?” → submission → a new task, the source as base video', async () => {
    const { s, f } = await setup();
    const source = await finishedVideo(f, s, 'a lighthouse by day');
    expect(customIds(source.card)).toContain(`kb:e:${source.id}`);
    const click = await f.clickButton({ messageId: source.card?.id ?? '', customId: `kb:e:${source.id}`, user: BOB });
    await f.waitFor(() => click.ackType !== undefined, 5000);
    expect(click.ackType).toBe(9);
    expect(JSON.stringify(click.modal)).toContain('What should change?');
    const submit = await f.submitModal({ interactionId: click.id, values: { instruction: 'turn day into night' } });
    await f.waitFor(() => cardIsFinal(s, cardOf(f, submit)), 15_000);
    const id = taskIdOf(cardOf(f, submit)) ?? '';
    expect(s.task(id)?.body).toMatchObject({ prompt: 'turn day into night' });
    expect(baseVideoOf(s, id)?.['video_url']).toBe(expectedVideoUrl(s, source.id));
    expect(embedText(cardOf(f, submit))).toContain(source.id);
    // The new task is listed under its requester like any other.
    const list = await f.sendCommand({ guildId: GUILD_A, channelId: CH_A1, user: BOB, name: 'tasks' });
    await f.waitFor(() => ephemeralAnswers(f, list).some((m) => embedText(m).includes(id)), 5000);
  });

  it('refusals are private and name the rule: not a video, over 30 days, outside the model’s limits (no Edit button then)', async () => {
    const { s, f, b } = await setup({ KLING_DEFAULT_OMNI_MODEL: 'kling-o1' });
    const long = await finishedVideo(f, s, 'a long pan', [
      ['model', 'kling-v3'],
      ['duration', '15'],
    ]);
    const old = await finishedVideo(f, s, 'an old clip');
    const img = await f.sendCommand({
      guildId: GUILD_A,
      channelId: CH_A1,
      user: ALICE,
      name: 'image',
      options: [{ name: 'prompt', type: 3, value: 'a still life' }],
    });
    await f.waitFor(() => embedText(cardOf(f, img)).includes('Done'), 15_000);
    const imageId = taskIdOf(cardOf(f, img)) ?? '';
    await b.core.store.update(old.id, (r) => ({ ...r, finishedAt: Date.now() - 31 * 86_400_000 }));
    expect(customIds(long.card)).not.toContain(`kb:e:${long.id}`);
    expect(customIds(old.card)).toContain(`kb:e:${old.id}`);
    const creates = s.stats.creates;
    const cases: Array<[InteractionRecord, RegExp]> = [
      [await f.sendCommand(edit(long.id, 'slower')), /lasts 15\.1 s; kling-o1 edits videos of 3 to 10 s/],
      [await f.sendCommand(edit(old.id, 'brighter')), /over 30 days old/],
      [await f.sendCommand(edit(imageId, 'brighter')), /is not a video/],
      [
        await f.clickButton({ messageId: old.card?.id ?? '', customId: `kb:e:${old.id}`, user: BOB }),
        /over 30 days old/,
      ],
    ];
    await f.waitFor(() => cases.every(([r]) => ephemeralAnswers(f, r).length > 0), 5000);
    for (const [i, [r, says]] of cases.entries()) {
      expect(embedText(ephemeralAnswers(f, r)[0]), `case ${i}`).toMatch(says);
      expect(r.ackType, `case ${i}`).not.toBe(9);
    }
    expect(s.stats.creates).toBe(creates);
  });
});
