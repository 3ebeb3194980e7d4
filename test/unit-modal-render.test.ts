import { describe, expect, it } from 'vitest';
import { editModal, storyboardModal } from '../src/modals.js';
import { discordModal } from '../src/platforms/discord/modal.js';
import { readSubmission, slackModal, ViewSubmissionPayload } from '../src/platforms/slack/modal.js';
import { modalIssues } from './fakes/discord/modal.js';
import { viewErrors } from './fakes/slack/views.js';

const FORMS = [editModal('kb0123456789ab'), storyboardModal({ model: 'kling-3.0', aspect_ratio: '9:16', sound: 'on' })];

describe('forms drawn per platform', () => {
  it('GIVEN each form THEN Discord’s modal checks pass (one Label + Text Input per question)', () => {
    for (const form of FORMS) {
      const modal = discordModal(form);
      expect(modalIssues(modal).list).toEqual([]);
      expect(modal.components[0]).toMatchObject({ type: 18, component: { type: 4, custom_id: form.inputs[0]?.id } });
    }
  });

  it('GIVEN the Edit form THEN Slack’s view checks pass and the channel rides in private_metadata', () => {
    const view = slackModal(editModal('kb0123456789ab'), 'C0GENERAL');
    expect(viewErrors(view)).toEqual([]);
    expect(JSON.parse(view.private_metadata)).toEqual({ channel: 'C0GENERAL' });
  });

  it('GIVEN a view_submission THEN the form id, the typed values and the channel it was opened in', () => {
    const view = slackModal(editModal('kb1'), 'C0GENERAL');
    const payload = ViewSubmissionPayload.parse({
      type: 'view_submission',
      team: { id: 'T1' },
      user: { id: 'U1' },
      view: {
        callback_id: view.callback_id,
        private_metadata: view.private_metadata,
        state: { values: { instruction: { value: { type: 'plain_text_input', value: 'make it snow' } } } },
      },
    });
    expect(readSubmission(payload)).toEqual({
      modalId: 'kb:m:e:kb1',
      values: { instruction: 'make it snow' },
      channelId: 'C0GENERAL',
      teamId: 'T1',
    });
    expect(readSubmission({ ...payload, view: { ...payload.view, private_metadata: 'nope' } })).toBeUndefined();
  });
});
