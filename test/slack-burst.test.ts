/**
 * A Slack burst is held by the core's burst gate as a Discord burst is (src/burst-gate.ts): each request's arrival
 * and its ack count towards the burst, the work after the ack waits until the burst is acknowledged, and so does every
 * message write (the card's post and edits).
 */
import { describe, expect, it, vi } from 'vitest';
import type { BurstHold } from '../src/burst-gate.js';
import { silentLogger } from '../src/log.js';
import { boltLogger } from '../src/platforms/slack/logger.js';
import { SlackPort } from '../src/platforms/slack/port.js';
import { SlackWorkspaces } from '../src/platforms/slack/workspaces.js';
import { renderCard } from '../src/render/card.js';
import type { TaskScope } from '../src/domain.js';
import { SECRETS, slackRigPerTest, startFake } from './helpers/slack-harness.js';

const T1 = 'T0ACME';
const C1 = 'C0GENERAL';
const U1 = 'U0ALICE';

/** A gate that stays closed until `open()`. */
function closedGate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('Slack: a burst is held by the core burst gate', () => {
  const rig = slackRigPerTest([{ id: T1, channels: [C1] }]);

  it('GIVEN a slash command THEN its arrival and its ack count towards the burst, and its work waits for the burst', async () => {
    const { fake, bot } = await rig();
    const gate = bot.core.burst;
    const hold = gate.hold.bind(gate);
    const burst = closedGate();
    const seen = { holds: 0, acks: 0, waits: 0 };
    vi.spyOn(gate, 'hold').mockImplementation((handle: (h: BurstHold) => Promise<void>) =>
      hold((h) => {
        seen.holds++;
        return handle({
          ...h,
          acking$: (ack) => (seen.acks++, h.acking$(ack)),
          after: async () => {
            seen.waits++;
            await burst.opened;
            await h.after();
          },
        });
      }),
    );

    const sent = await fake.sendCommand({
      teamId: T1,
      channelId: C1,
      userId: U1,
      command: '/video',
      text: 'a lantern',
    });
    expect(sent.status).toBe(200);
    await fake.waitFor(() => seen.waits > 0 || undefined, 5000);
    expect(seen).toEqual({ holds: 1, acks: 1, waits: 1 });
    // The work waits for the burst: nothing is posted yet.
    expect(fake.messagesIn(C1)).toHaveLength(0);

    burst.open();
    await fake.waitFor(() => fake.messagesIn(C1)[0], 10_000);
  });
});

describe('SlackPort: every write waits for the burst gate', () => {
  it('GIVEN a burst being answered THEN a card is not posted until it is', async () => {
    const fake = await startFake([{ id: T1, channels: [C1] }]);
    try {
      const workspaces = new SlackWorkspaces({
        botToken: SECRETS.botToken,
        apiUrl: fake.apiUrl,
        logger: boltLogger(silentLogger),
      });
      const burst = closedGate();
      let waited = 0;
      const port = new SlackPort(workspaces, silentLogger, {
        quiet: async () => {
          waited++;
          await burst.opened;
        },
      });
      const scope: TaskScope = { platform: 'slack', guildId: T1, channelId: C1, userId: U1, userName: 'alice' };
      const view = renderCard(
        {
          id: 'kb0a1b2c3d4e5f',
          scope,
          request: {
            kind: 'text2video',
            prompt: 'p',
            model: 'kling-v2-6',
            mode: 'std',
            duration: '5',
            aspect_ratio: '16:9',
          },
          state: 'pending',
          createdAt: 0,
          updatedAt: 0,
        },
        { now: 0 },
      );
      const posted = port.post(scope, view);
      await fake.waitFor(() => waited > 0 || undefined, 5000);
      expect(fake.messagesIn(C1)).toHaveLength(0);
      burst.open();
      const { value: handle } = await posted;
      expect(fake.messagesIn(C1)).toHaveLength(1);
      const edited = port.edit(handle, view, scope);
      await edited;
      await port.delete(handle, scope);
      await port.replyPrivate(
        { channel: C1, user: U1 },
        { kind: 'notice', tone: 'info', title: 'note', text: 'private' },
        scope,
      );
      expect(waited).toBe(4);
    } finally {
      await fake.close();
    }
  });
});
