/**
 * Issue 20 on Discord, through the real discord.js against the fake and the simulator: /video with
 * reference images (image_1..image_4) goes to Kling's omni-video with the prompt's @image_n
 * translated for the legacy standard; every refusal is private, names the rule and costs no call.
 */
import { describe, expect, it } from 'vitest';
import type { AttachmentInput, SendCommandInput } from './fakes/discord/index.js';
import {
  ALICE,
  CH_A1,
  GUILD_A,
  cardIsFinal,
  cardOf,
  discordRigPerTest,
  embedText,
  ephemeralAnswers,
  expectRefusals,
  taskIdOf,
  type RefusalCase,
} from './helpers/discord-harness.js';

const setup = discordRigPerTest();

/** A PNG upload Kling would take (≥ 300 px, ratio within 2.5). */
const png = (n: number, extra: Partial<AttachmentInput> = {}): AttachmentInput => ({
  filename: `ref${n}.png`,
  contentType: 'image/png',
  size: 200_000,
  width: 1024,
  height: 768,
  optionName: `image_${n}`,
  ...extra,
});

const videoWith = (prompt: string, attachments: AttachmentInput[], more: SendCommandInput['options'] = []) => ({
  guildId: GUILD_A,
  channelId: CH_A1,
  user: ALICE,
  name: 'video',
  options: [{ name: 'prompt', type: 3, value: prompt }, ...(more ?? [])],
  attachments,
});

describe('Discord: /video with reference images', () => {
  it('registers image_1..image_4 as attachments (and their URL twins) within Discord’s 25 options', async () => {
    const { f } = await setup();
    const def = f.commands({ guildId: GUILD_A }).find((c) => (c as { name?: string }).name === 'video') as {
      options: Array<{ name: string; type: number }>;
    };
    const byName = new Map(def.options.map((o) => [o.name, o.type]));
    for (const n of [1, 2, 3, 4]) {
      expect(byName.get(`image_${n}`)).toBe(11);
      expect(byName.get(`image_${n}_url`)).toBe(3);
    }
    expect(def.options.length).toBeLessThanOrEqual(25);
  });

  it('two images named in the prompt: one omni-video create with both, the references as <<<image_n>>>, a final card', async () => {
    const { s, f } = await setup();
    const rec = await f.sendCommand(
      videoWith(
        '@image_1 walks into @Image_2’s kitchen --ar 9:16',
        [png(1), png(2)],
        [{ name: 'duration', type: 3, value: '10' }],
      ),
    );
    await f.waitFor(() => cardIsFinal(s, cardOf(f, rec)), 15_000);
    expect(s.calls.filter((c) => c.op === 'create').map((c) => c.path)).toEqual(['/v1/videos/omni-video']);
    const id = taskIdOf(cardOf(f, rec)) ?? '';
    const body = s.task(id)?.body as Record<string, unknown>;
    const resolved = Object.values(
      (rec.payload as { data: { resolved: { attachments: Record<string, { url: string }> } } }).data.resolved
        .attachments,
    ).map((a) => a.url);
    expect(body).toMatchObject({
      model_name: 'kling-v3-omni',
      prompt: '<<<image_1>>> walks into <<<image_2>>>’s kitchen',
      aspect_ratio: '9:16',
      duration: '10',
      mode: 'std',
    });
    expect((body['image_list'] as Array<{ image_url: string }>).map((i) => i.image_url)).toEqual(resolved);
    expect(resolved[0]).toContain('ref1.png');
    const text = embedText(cardOf(f, rec));
    expect(text).toContain('2 reference images');
    expect(text).toMatch(/Their links expire \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  });

  it('each refusal is private, names the rule, and reaches no Kling endpoint', async () => {
    const { s, f } = await setup();
    const cases: RefusalCase[] = [
      { input: videoWith('@image_1 meets @image_3', [png(1), png(2)]), says: [/prompt/, /names @image_3/, /image_2/] },
      { input: videoWith('@image_1 dances', []), says: [/names @image_1, but no image was given/] },
      {
        input: videoWith('a dancer', [png(1)], [{ name: 'model', type: 3, value: 'kling-v3' }]),
        says: [/kling-v3 takes no reference images/],
      },
      { input: videoWith('a dancer', [png(2)]), says: [/image_1/, /in order/] },
      {
        input: videoWith('a dancer', [png(1), png(2, { contentType: 'image/gif', filename: 'x.gif' })]),
        says: [/image_2/, /PNG or JPEG/],
      },
      { input: videoWith('a dancer', [png(1, { width: 1500, height: 500 })]), says: [/image_1/, /2.5 times/] },
      {
        input: videoWith('a dancer --neg blur', [png(1)]),
        says: [/negative_prompt/, /omni video/],
      },
    ];
    await expectRefusals(s, f, cases);
  });

  it('Regenerate after the attachment links expired is refused with the reason; no second create', async () => {
    const { s, f } = await setup();
    const rec = await f.sendCommand(videoWith('@image_1 waves', [png(1, { expiresInS: 2 })]));
    await f.waitFor(() => cardIsFinal(s, cardOf(f, rec)), 15_000);
    const card = cardOf(f, rec);
    const id = taskIdOf(card) ?? '';
    const sent = (s.task(id)?.body['image_list'] as Array<{ image_url: string }>)[0]?.image_url ?? '';
    const expiresAt = parseInt(new URL(sent).searchParams.get('ex') ?? '0', 16) * 1000;
    await f.waitFor(() => Date.now() > expiresAt + 50, 5000);
    const regen = await f.clickButton({ messageId: card?.id ?? '', customId: `kb:g:${id}`, user: ALICE });
    await f.waitFor(() => ephemeralAnswers(f, regen).length > 0, 5000);
    const answer = embedText(ephemeralAnswers(f, regen)[0]);
    expect(answer).toMatch(/links have expired/);
    expect(answer).toMatch(/Run \/video again with the images attached/);
    expect(s.stats.creates).toBe(1);
    // Refresh shows the card again: now it says the links are gone.
    const refresh = await f.clickButton({ messageId: card?.id ?? '', customId: `kb:r:${id}`, user: ALICE });
    await f.waitFor(() => refresh.ackType !== undefined, 5000);
    await f.waitFor(() => /Their links have expired/.test(embedText(cardOf(f, rec))), 5000);
  });
});
