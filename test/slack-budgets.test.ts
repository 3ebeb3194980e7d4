/**
 * Money caps end to end through the real Bolt app (issue 16, finding 4): a daily unit budget
 * refuses a dear /video privately with zero Kling calls, a cheap one runs. Figures from
 * docs/sources.md ("Prices and units"), written out here.
 */
import { describe, expect, it } from 'vitest';
import { cardIsFinal, ephemeralTextOf, slackRigPerTest } from './helpers/slack-harness.js';

/** docs/sources.md: 3.0 (kling-v3) 1080p (pro) with audio, units per second. */
const REF_V3_PRO_AUDIO_PER_S = 1.2;

const T1 = 'T0ACME';
const C1 = 'C0GENERAL';
const U1 = 'U0ALICE';

const rig = slackRigPerTest([{ id: T1, domain: 'acme', channels: [C1] }]);

describe('Slack: daily unit budgets', () => {
  it('GIVEN a 10-unit user budget THEN v3 pro 15 s with sound is refused naming it, zero Kling calls; the default /video runs', async () => {
    const { sim, fake } = await rig({ USER_MAX_DAILY_UNITS: '10', USER_MAX_ACTIVE_TASKS: '2' });
    const ephemeralText = (responseUrlId: string) => ephemeralTextOf(fake, responseUrlId);
    const dear = await fake.sendCommand({
      teamId: T1,
      channelId: C1,
      userId: U1,
      command: '/video',
      text: 'a storm at sea --model kling-v3 --mode pro --duration 15 --sound on',
    });
    const text = await fake.waitFor(() => ephemeralText(dear.responseUrlId) || undefined, 5000);
    expect(text).toContain(`about ${REF_V3_PRO_AUDIO_PER_S * 15} units`);
    expect(text).toContain('your daily budget is 10 units');
    expect(fake.messagesIn(C1)).toEqual([]);
    expect(sim.calls.filter((c) => c.op === 'create')).toEqual([]);

    await fake.sendCommand({ teamId: T1, channelId: C1, userId: U1, command: '/video', text: 'a lighthouse' });
    await fake.waitFor(() => fake.messagesIn(C1).some((m) => cardIsFinal(sim, m)), 15_000);
    expect(sim.stats.creates).toBe(1);
  });
});
