/**
 * Kling's current surface on Discord (issue 11), through the real discord.js against the fake:
 * model suggestions (autocomplete) answered within the deadline, refusals from the capability
 * table, registered definitions within Discord's limits.
 */
import { describe, expect, it } from 'vitest';
import {
  ALICE,
  BOB,
  CH_A1,
  CH_A2,
  GUILD_A,
  cardIsFinal,
  cardOf,
  carol,
  discordRigPerTest,
  embedText,
  ephemeralAnswers,
  taskIdOf,
  video,
} from './helpers/discord-harness.js';

const setup = discordRigPerTest();

/**
 * A card's end at Discord's realistic channel limit (5 writes / 5 s): a card may wait out a window that
 * earlier writes filled (the Extend card waits about 5 s for its parent's), then a loaded machine's work.
 */
const CARD_WAIT_MS = 30_000;

describe('Discord: model autocomplete', () => {
  it('answers with type 8 within the 3 s deadline, listing only the models of that command', async () => {
    const { s, f } = await setup();
    const typing = { guildId: GUILD_A, channelId: CH_A1, user: ALICE };
    const recs = await Promise.all([
      f.sendAutocomplete({ ...typing, name: 'video', focused: 'model', typed: '' }),
      f.sendAutocomplete({ ...typing, name: 'image', focused: 'model', typed: 'v2' }),
      f.sendAutocomplete({ ...typing, name: 'animate', focused: 'model', typed: 'kling-v2-1' }),
      f.sendAutocomplete({
        ...typing,
        name: 'video',
        options: [
          { name: 'prompt', type: 3, value: 'a fox' },
          { name: 'model', type: 3, value: 'kling-v3' },
        ],
        focused: 'duration',
        typed: '1',
      }),
    ]);
    await f.waitFor(() => recs.every((r) => r.ackType !== undefined), 3000);
    for (const rec of recs) {
      expect(rec.type).toBe(4);
      expect(rec.ackType).toBe(8);
      expect(rec.ackLatencyMs).toBeLessThan(3000);
      expect(rec.lateCallbackAt).toEqual([]);
    }
    const [videoModels, imageModels, animateModels, durations] = recs.map((r) =>
      (r.autocompleteChoices ?? []).map((c) => c.value),
    );
    expect(new Set(videoModels)).toEqual(
      new Set([
        'kling-v1',
        'kling-v1-6',
        'kling-v2-master',
        'kling-v2-1-master',
        'kling-2.5-turbo',
        'kling-2.6',
        'kling-3.0',
        'kling-3.0-turbo',
      ]),
    );
    expect(imageModels).toEqual(['kling-v2-1', 'kling-v2-new', 'kling-v2']);
    expect(animateModels).toEqual(['kling-v2-1-master', 'kling-v2-1']);
    expect(durations).toEqual(['10', '11', '12', '13', '14', '15']);
    expect(s.calls).toEqual([]);
  });

  it('with ALLOWED_MODELS a member is offered only the listed models (nor an unknown name); an admin every model', async () => {
    const { s, f } = await setup({ env: { ALLOWED_MODELS: 'kling-2.5-turbo,kling-v2-1' } });
    const where = { guildId: GUILD_A, channelId: CH_A1 };
    const admin = { ...carol(70), username: 'admin', permissions: '8' };
    const recs = await Promise.all([
      f.sendAutocomplete({ ...where, user: BOB, name: 'video', focused: 'model', typed: '' }),
      f.sendAutocomplete({ ...where, user: BOB, name: 'image', focused: 'model', typed: '' }),
      f.sendAutocomplete({ ...where, user: BOB, name: 'video', focused: 'model', typed: 'kling-9' }),
      f.sendAutocomplete({ ...where, user: admin, name: 'video', focused: 'model', typed: '' }),
      f.sendAutocomplete({ ...where, user: admin, name: 'video', focused: 'model', typed: 'kling-9' }),
    ]);
    await f.waitFor(() => recs.every((r) => r.ackType !== undefined), 3000);
    const [memberVideo, memberImage, memberUnknown, adminVideo, adminUnknown] = recs.map((r) =>
      (r.autocompleteChoices ?? []).map((c) => c.value),
    );
    expect(memberVideo).toEqual(['kling-2.5-turbo']);
    expect(memberImage).toEqual(['kling-v2-1']);
    expect(memberUnknown).toEqual([]);
    expect(adminVideo).toHaveLength(8);
    expect(adminUnknown).toEqual(['kling-9']);
    expect(s.calls).toEqual([]);
  });

  it('the fake refuses autocomplete for an option not registered with it (as Discord sends none)', async () => {
    const { f } = await setup();
    await expect(
      f.sendAutocomplete({
        guildId: GUILD_A,
        channelId: CH_A1,
        user: ALICE,
        name: 'video',
        focused: 'mode',
        typed: 'p',
      }),
    ).rejects.toThrow(/not registered with autocomplete/);
  });
});

describe('Discord: the capability table', () => {
  it('a combination the model does not take: a private error naming the model and the rule, zero Kling calls', async () => {
    const { s, f } = await setup();
    const rec = await f.sendCommand({
      ...video(CH_A1, ALICE, 'a fox'),
      options: [
        { name: 'prompt', type: 3, value: 'a fox' },
        { name: 'model', type: 3, value: 'kling-v2-5-turbo' },
        { name: 'duration', type: 3, value: '15' },
      ],
    });
    await f.waitFor(() => ephemeralAnswers(f, rec).length > 0, 5000);
    const answer = embedText(ephemeralAnswers(f, rec)[0]);
    expect(answer).toContain('kling-v2-5-turbo makes 5 or 10 seconds videos (not 15)');
    expect(answer).toContain('Nothing was sent to Kling');
    // Refused before acknowledging: the private reply is the acknowledgement, nothing public first.
    expect(rec.ackType).toBe(4);
    expect(rec.ephemeral).toBe(true);
    expect(f.messagesIn(CH_A1).filter((m) => (m.flags & 64) === 0)).toEqual([]);
    expect(s.calls).toEqual([]);
  });
});

describe('Discord end to end: /video on kling-v3 at 15 s with sound', () => {
  it('typed options reach the final card; the same flags inside the prompt give the same request', async () => {
    const { s, f } = await setup();
    const typed = await f.sendCommand({
      ...video(CH_A1, ALICE, 'a fox in the snow'),
      options: [
        { name: 'prompt', type: 3, value: 'a fox in the snow' },
        { name: 'model', type: 3, value: 'kling-v3' },
        { name: 'duration', type: 3, value: '15' },
        { name: 'sound', type: 3, value: 'on' },
      ],
    });
    const flagged = await f.sendCommand(
      video(CH_A2, BOB, 'a fox in the snow --model kling-v3 --duration 15 --sound on'),
    );
    await f.waitFor(() => cardIsFinal(s, cardOf(f, typed)) && cardIsFinal(s, cardOf(f, flagged)), CARD_WAIT_MS);
    const bodyOf = (rec: typeof typed) => {
      const { external_task_id: _ours, ...rest } = s.task(taskIdOf(cardOf(f, rec)) ?? '')?.body ?? {};
      return rest;
    };
    expect(bodyOf(typed)).toMatchObject({
      model_name: 'kling-v3',
      prompt: 'a fox in the snow',
      duration: '15',
      sound: 'on',
      mode: 'std',
      aspect_ratio: '16:9',
    });
    expect(bodyOf(flagged)).toEqual(bodyOf(typed));
    const card = embedText(cardOf(f, typed));
    expect(card).toContain('Kling 3.0 · std · 15s · 16:9 · 🔊 with sound');
    expect(card).toContain('Video (15.1s)');
  });
});

describe('Discord: /animate end frame', () => {
  it('an uploaded end_image gets the start image’s checks and goes out as image_tail', async () => {
    const { s, f } = await setup();
    const animate = (
      attachments: Array<{
        filename: string;
        contentType: string;
        size: number;
        width: number;
        height: number;
        optionName: string;
      }>,
      mode = 'pro',
    ) =>
      f.sendCommand({
        guildId: GUILD_A,
        channelId: CH_A1,
        user: ALICE,
        name: 'animate',
        options: [
          { name: 'prompt', type: 3, value: 'the cat waves' },
          { name: 'model', type: 3, value: 'kling-v2-6' },
          { name: 'mode', type: 3, value: mode },
        ],
        attachments,
      });
    const start = {
      filename: 'start.png',
      contentType: 'image/png',
      size: 90_000,
      width: 800,
      height: 800,
      optionName: 'image',
    };
    const tooThin = await animate([
      start,
      { filename: 'end.png', contentType: 'image/png', size: 9000, width: 1000, height: 350, optionName: 'end_image' },
    ]);
    const notPng = await animate([
      start,
      { filename: 'end.gif', contentType: 'image/gif', size: 9000, width: 800, height: 800, optionName: 'end_image' },
    ]);
    const stdMode = await animate(
      [
        start,
        { filename: 'end.png', contentType: 'image/png', size: 9000, width: 800, height: 800, optionName: 'end_image' },
      ],
      'std',
    );
    await f.waitFor(() => [tooThin, notPng, stdMode].every((r) => ephemeralAnswers(f, r).length > 0), 5000);
    expect(embedText(ephemeralAnswers(f, tooThin)[0])).toMatch(/end_image.*2\.5 times/);
    expect(embedText(ephemeralAnswers(f, notPng)[0])).toMatch(/end_image.*PNG or JPEG/);
    expect(embedText(ephemeralAnswers(f, stdMode)[0])).toContain('kling-v2-6 takes an end frame only at 1080p');
    expect(s.calls).toEqual([]);

    const good = await animate([
      start,
      { filename: 'end.jpg', contentType: 'image/jpeg', size: 9000, width: 800, height: 600, optionName: 'end_image' },
    ]);
    await f.waitFor(() => cardIsFinal(s, cardOf(f, good)), CARD_WAIT_MS);
    const body = s.task(taskIdOf(cardOf(f, good)) ?? '')?.body ?? {};
    const urls = (good.payload.data as { resolved: { attachments: Record<string, { url: string; filename: string }> } })
      .resolved.attachments;
    const urlOf = (name: string) => Object.values(urls).find((a) => a.filename === name)?.url;
    expect(body).toMatchObject({
      image: urlOf('start.png'),
      image_tail: urlOf('end.jpg'),
      mode: 'pro',
      model_name: 'kling-v2-6',
    });
  });
});

describe('Discord: Extend', () => {
  /** Every custom_id on the card, however deep (Components V2 nests the buttons in a container). */
  const buttonIds = (m: ReturnType<typeof cardOf>): string[] =>
    [...JSON.stringify(m?.components ?? []).matchAll(/"custom_id":"([^"]+)"/g)].map((x) => x[1] ?? '');

  it('Extend is offered on a v1.x video and not on the default kling-v2-5-turbo one (Kling documents extend for v1.x only)', async () => {
    const { s, f } = await setup();
    const v1 = await f.sendCommand(video(CH_A1, ALICE, 'a fox --model kling-v1-6'));
    const v25 = await f.sendCommand(video(CH_A1, ALICE, 'a fox'));
    await f.waitFor(() => cardIsFinal(s, cardOf(f, v1)) && cardIsFinal(s, cardOf(f, v25)), CARD_WAIT_MS);
    expect(buttonIds(cardOf(f, v1)).some((id) => id.startsWith('kb:x:'))).toBe(true);
    expect(s.task(taskIdOf(cardOf(f, v25)) ?? '')?.body).toMatchObject({ model_name: 'kling-v2-5-turbo' });
    expect(buttonIds(cardOf(f, v25)).filter((id) => id.startsWith('kb:x:'))).toEqual([]);
    expect(buttonIds(cardOf(f, v25)).some((id) => id.startsWith('kb:g:') || id.startsWith('kb:r:'))).toBe(true);
  });

  it('the Extend button on a finished card posts a new public card that links to its parent and ends on the longer video', async () => {
    const { s, f } = await setup();
    const rec = await f.sendCommand(video(CH_A1, ALICE, 'a fox in the snow --model kling-v1-6'));
    await f.waitFor(() => cardIsFinal(s, cardOf(f, rec)), CARD_WAIT_MS);
    const card = cardOf(f, rec);
    const parentId = taskIdOf(card) ?? '';
    const click = await f.clickButton({ messageId: card?.id ?? '', customId: `kb:x:${parentId}`, user: BOB });
    await f.waitFor(() => cardIsFinal(s, cardOf(f, click)), CARD_WAIT_MS);
    const extended = cardOf(f, click);
    // Answered with the public card itself (type 4) or a public defer (type 5), never privately.
    expect([4, 5]).toContain(click.ackType);
    expect(click.ephemeral).toBe(false);
    expect((extended?.flags ?? 0) & 64).toBe(0);
    const extId = taskIdOf(extended) ?? '';
    expect(extId).not.toBe(parentId);
    expect(s.task(extId)?.body).toMatchObject({ video_id: expect.any(String), prompt: 'a fox in the snow' });
    const text = embedText(extended);
    expect(text).toContain('Extends');
    expect(text).toContain(parentId);
    expect(text).toContain(`${s.origin}/media/${s.task(parentId)?.taskId}.mp4`);
  });
});
