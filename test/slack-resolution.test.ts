/**
 * `--res` on Slack (issue 20, Deliver 4), through Bolt against the fake Slack and the simulator:
 * on Kling's legacy API a resolution is sent as its mode (1080p = pro); 4k, an unknown resolution
 * and a --mode that disagrees are refused privately, naming the rule, with no Kling call.
 */
import { describe, expect, it } from 'vitest';
import type { FakeSlack } from './fakes/slack/index.js';
import { blockTexts } from './fakes/slack/index.js';
import { cardIsFinal, ephemeralTextOf, slackRigPerTest, taskIdOfCard } from './helpers/slack-harness.js';

const T1 = 'T0ACME';
const C1 = 'C0GENERAL';
const rig = slackRigPerTest([{ id: T1, domain: 'acme', channels: [C1] }]);
const send = (fake: FakeSlack, command: string, text: string) =>
  fake.sendCommand({ teamId: T1, channelId: C1, userId: 'U0ALICE', command, text });

describe('Slack: --res', () => {
  it('/video --res 1080p on the legacy API: mode pro at Kling, the card final', async () => {
    const { sim, fake } = await rig();
    await send(fake, '/video', 'a red fox in the snow --res 1080p --model kling-v2-6');
    const card = await fake.waitFor(() => {
      const m = fake.messagesIn(C1)[0];
      return m && cardIsFinal(sim, m) ? m : undefined;
    }, 10_000);
    const id = taskIdOfCard(card.blocks) ?? '';
    expect(sim.calls.filter((c) => c.op === 'create').map((c) => c.path)).toEqual(['/v1/videos/text2video']);
    expect(sim.task(id)?.body).toMatchObject({ model_name: 'kling-v2-6', mode: 'pro' });
    expect(blockTexts(card.blocks).join('\n')).toContain('Kling 2.6 · pro');
  });

  it('refusals name the rule: --mode and --res disagreeing (both named), 4k on the legacy API, no such resolution', async () => {
    const { sim, fake } = await rig();
    const cases: Array<[string, string, RegExp]> = [
      ['/video', 'a fox --mode std --res 1080p', /mode std and resolution 1080p disagree/],
      [
        '/video',
        'a fox --res 4k --model kling-v3',
        /kling-v3 is sent through Kling's legacy API here, which has no 4k/,
      ],
      ['/animate', 'https://example.com/cat.png the cat waves --res 8k', /resolution.*must be 720p, 1080p or 4k/],
      ['/animate', 'https://example.com/cat.png the cat waves --mode pro --res 720p', /mode pro and resolution 720p/],
    ];
    const sent: Awaited<ReturnType<typeof send>>[] = [];
    for (const [command, text] of cases) sent.push(await send(fake, command, text));
    await fake.waitFor(() => sent.every((r) => ephemeralTextOf(fake, r.responseUrlId) !== ''), 5000);
    for (const [i, r] of sent.entries()) {
      const text = ephemeralTextOf(fake, r.responseUrlId);
      expect(text, `case ${i}`).toMatch(cases[i]?.[2] ?? /x^/);
      expect(text, `case ${i}`).toContain('Nothing was sent to Kling');
    }
    expect(fake.messagesIn(C1)).toEqual([]);
    expect(sim.calls).toEqual([]);
  });
});
