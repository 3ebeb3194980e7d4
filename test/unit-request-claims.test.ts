/**
 * One paid task per command (issue 16): the claim a request takes before anything is admitted,
 * and the key a Slack request is claimed under.
 */
import Keyv from 'keyv';
import { describe, expect, it } from 'vitest';
import { InteractionClosedError } from '../src/errors.js';
import { commandInvocation, slackRequestKey, SlashCommandPayload } from '../src/platforms/slack/payloads.js';
import { claimRequest } from '../src/store/request-claims.js';
import { keyvStorage } from '../src/store/storage.js';

describe('claimRequest', () => {
  it('GIVEN two deliveries of one request THEN the first claims it and the second is closed; other requests are free', async () => {
    const store = keyvStorage(new Keyv()).replay;
    const both = await Promise.allSettled([claimRequest(store, 'discord:111'), claimRequest(store, 'discord:111')]);
    expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = both.find((r) => r.status === 'rejected');
    expect(lost?.status === 'rejected' && lost.reason).toBeInstanceOf(InteractionClosedError);
    await expect(claimRequest(store, 'discord:222')).resolves.toBeUndefined();
    await expect(claimRequest(store, 'discord:222')).rejects.toBeInstanceOf(InteractionClosedError);
  });

  it('GIVEN no request key (a console invocation) THEN nothing is claimed or refused', async () => {
    const store = keyvStorage(new Keyv()).replay;
    await claimRequest(store, undefined);
    await expect(claimRequest(store, undefined)).resolves.toBeUndefined();
  });
});

describe('the key of a Slack request', () => {
  const base = { team_id: 'T1', channel_id: 'C1', user_id: 'U1', command: '/video', text: 'a fox' };

  it("GIVEN a slash command with Slack's trigger_id THEN its key is the trigger_id, the same on a retry", () => {
    const payload = SlashCommandPayload.parse({ ...base, trigger_id: '123.456.abc', response_url: 'https://x/1' });
    expect(commandInvocation(payload).requestKey).toBe('slack:123.456.abc');
    expect(commandInvocation({ ...payload }).requestKey).toBe(commandInvocation(payload).requestKey);
  });

  it('GIVEN no trigger_id THEN the response_url (one per invocation) tells two identical commands apart', () => {
    const one = slackRequestKey({ response_url: 'https://hooks.slack.test/1' }, ['T1', 'C1', 'U1', '/video', 'a fox']);
    const two = slackRequestKey({ response_url: 'https://hooks.slack.test/2' }, ['T1', 'C1', 'U1', '/video', 'a fox']);
    expect(one).toMatch(/^slack:h:/);
    expect(two).not.toBe(one);
    expect(slackRequestKey({}, ['T1'])).toBeUndefined();
  });
});
