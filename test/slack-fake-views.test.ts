/**
 * The fake Slack's modals against an unmodified Bolt App: views.open takes a trigger id once and
 * within 3 s, checks the view, and a submit arrives as a view_submission Bolt routes to app.view.
 */
import type { AddressInfo } from 'node:net';
import { App, LogLevel, webApi } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from './fakes/slack/index.js';

const BOT_TOKEN = 'xoxb-123-456-fakebottokenvalue';
const SIGNING_SECRET = 'fake-signing-secret-0123456789abcdef';
const TEAM = 'T0TEAM1';
const CHANNEL = 'C0GENERAL';
const USER = 'U0ALICE';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

const quiet: webApi.Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => webApi.LogLevel.ERROR,
  setName: () => undefined,
};

const editView = (over: Record<string, unknown> = {}) => ({
  type: 'modal' as const,
  callback_id: 'kb:m:e:kb123',
  title: { type: 'plain_text' as const, text: 'Edit this video' },
  submit: { type: 'plain_text' as const, text: 'Edit' },
  blocks: [
    {
      type: 'input',
      block_id: 'instruction',
      label: { type: 'plain_text', text: 'What should change?' },
      element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: 2500 },
    },
  ],
  ...over,
});

/** The fake's clock: it stands still (a trigger never expires on a slow run) until a test moves it on. */
const clock = { ms: 0 };

async function rig(
  onCommand: (args: { trigger: string; client: webApi.WebClient }) => Promise<void>,
  triggerLifetimeMs?: number,
) {
  const fake: FakeSlack = await startFakeSlack({
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    teams: [{ id: TEAM, domain: 'acme', channels: [CHANNEL] }],
    now: () => clock.ms,
    ...(triggerLifetimeMs ? { triggerLifetimeMs } : {}),
  });
  cleanups.push(() => fake.close());
  const app = new App({
    token: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    clientOptions: { slackApiUrl: fake.apiUrl, logger: quiet, retryConfig: { retries: 0 } },
    tokenVerificationEnabled: false,
    logLevel: LogLevel.ERROR,
  });
  const submissions: Array<{ callbackId: string; value: string | null | undefined; user: string }> = [];
  app.command('/edit', async ({ ack, body, client }) => {
    await ack();
    await onCommand({ trigger: body.trigger_id, client });
  });
  app.view('kb:m:e:kb123', async ({ ack, view, body }) => {
    await ack();
    submissions.push({
      callbackId: view.callback_id,
      value: view.state.values['instruction']?.['value']?.value,
      user: body.user.id,
    });
  });
  const server = await app.start({ port: 0, host: '127.0.0.1' });
  cleanups.push(() => app.stop());
  fake.setBotUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`);
  return { fake, submissions };
}

const errorOf = (e: unknown) => (e instanceof Error && 'data' in e ? (e.data as { error?: string }).error : e);
const command = { teamId: TEAM, channelId: CHANNEL, userId: USER, command: '/edit', text: '' };

describe('fake Slack modals', () => {
  it('GIVEN views.open with a fresh trigger THEN the view opens once; a submit reaches app.view with the value', async () => {
    const outcomes: unknown[] = [];
    const { fake, submissions } = await rig(async ({ trigger, client }) => {
      outcomes.push(await client.views.open({ trigger_id: trigger, view: editView() }).then((r) => r.ok, errorOf));
      outcomes.push(await client.views.open({ trigger_id: trigger, view: editView() }).then((r) => r.ok, errorOf));
      outcomes.push(await client.views.open({ trigger_id: 'made.up', view: editView() }).then((r) => r.ok, errorOf));
    });
    await fake.sendCommand(command);
    await fake.waitFor(() => outcomes.length === 3);
    expect(outcomes).toEqual([true, 'exchanged_trigger_id', 'invalid_trigger_id']);
    const view = fake.views[0];
    expect(view).toMatchObject({ teamId: TEAM, userId: USER });
    await expect(fake.submitView({ viewId: view?.id ?? '', values: { instruction: '' } })).rejects.toThrow(/required/);
    await expect(fake.submitView({ viewId: view?.id ?? '', userId: 'U0BOB', values: {} })).rejects.toThrow(/open for/);
    const r = await fake.submitView({ viewId: view?.id ?? '', values: { instruction: 'make it snow' } });
    expect(r.status).toBe(200);
    expect(submissions).toEqual([{ callbackId: 'kb:m:e:kb123', value: 'make it snow', user: USER }]);
    await expect(fake.submitView({ viewId: view?.id ?? '', values: { instruction: 'x' } })).rejects.toThrow(
      /already submitted/,
    );
  });

  it('GIVEN a trigger past its lifetime (Slack: 3 s; here 100 ms) THEN expired_trigger_id', async () => {
    const outcomes: unknown[] = [];
    const { fake } = await rig(async ({ trigger, client }) => {
      // The lifetime itself is what is under test: the clock moves past it.
      clock.ms += 150;
      outcomes.push(await client.views.open({ trigger_id: trigger, view: editView() }).then((r) => r.ok, errorOf));
    }, 100);
    await fake.sendCommand(command);
    await fake.waitFor(() => outcomes.length === 1);
    expect(outcomes).toEqual(['expired_trigger_id']);
  });

  it('GIVEN views breaking Slack’s limits THEN invalid_arguments, and the trigger stays unused', async () => {
    const outcomes: unknown[] = [];
    const bad = [
      editView({ title: { type: 'plain_text', text: 'A title of twenty-five ch' } }),
      editView({ private_metadata: 'x'.repeat(3001) }),
      editView({ submit: undefined }),
      editView({
        blocks: [
          {
            type: 'input',
            block_id: 'instruction',
            label: { type: 'plain_text', text: 'What should change?' },
            element: { type: 'plain_text_input', action_id: 'value', max_length: 3001 },
          },
        ],
      }),
    ];
    const { fake } = await rig(async ({ trigger, client }) => {
      for (const view of bad)
        outcomes.push(await client.views.open({ trigger_id: trigger, view: view as never }).then((r) => r.ok, errorOf));
      outcomes.push(await client.views.open({ trigger_id: trigger, view: editView() }).then((r) => r.ok, errorOf));
    });
    await fake.sendCommand(command);
    await fake.waitFor(() => outcomes.length === bad.length + 1);
    expect(outcomes).toEqual([
      'invalid_arguments',
      'invalid_arguments',
      'invalid_arguments',
      'invalid_arguments',
      true,
    ]);
  });
});
