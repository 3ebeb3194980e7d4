import { describe, expect, it } from 'vitest';
import { editModal, storyboardModal, submissionOf } from '../src/modals.js';

describe('modals as a way in', () => {
  it('GIVEN the Edit form of kb123 submitted THEN /edit with that id and the typed instruction', () => {
    const modal = editModal('kb123');
    expect(modal.inputs.map((i) => i.label)).toEqual(['What should change?']);
    expect(submissionOf(modal.id, { instruction: 'make it snow' })).toEqual({
      command: 'edit',
      raw: { id: 'kb123', instruction: 'make it snow' },
    });
  });

  it('GIVEN /storyboard options THEN they travel in the form id and come back as options', () => {
    const modal = storyboardModal({ model: 'kling-3.0', resolution: '1080p', aspect_ratio: '9:16', sound: 'on' });
    expect(modal.id.length).toBeLessThanOrEqual(100);
    expect(submissionOf(modal.id, { shots: '3: a\n4: b' })).toEqual({
      command: 'storyboard',
      raw: { shots: '3: a\n4: b', model: 'kling-3.0', resolution: '1080p', aspect_ratio: '9:16', sound: 'on' },
    });
    expect(submissionOf(storyboardModal({}).id, { shots: '3: a' })).toEqual({
      command: 'storyboard',
      raw: { shots: '3: a' },
    });
  });

  it('GIVEN the forms THEN within the platforms’ limits: titles ≤ 24, labels ≤ 45, Edit ≤ 3,000 (Slack), storyboard ≤ 4,000 (Discord only)', () => {
    const edit = editModal('kb0123456789ab');
    const board = storyboardModal({ model: 'kling-3.0-omni', aspect_ratio: '16:9' });
    for (const m of [edit, board]) {
      expect(m.title.length).toBeLessThanOrEqual(24);
      for (const i of m.inputs) expect(i.label.length).toBeLessThanOrEqual(45);
    }
    expect(edit.inputs[0]?.maxLength).toBeLessThanOrEqual(3000);
    // Six shots of 512 characters with their "seconds: " prefixes fit.
    expect(board.inputs[0]?.maxLength).toBeGreaterThanOrEqual(6 * (512 + 5));
    expect(board.inputs[0]?.maxLength).toBeLessThanOrEqual(4000);
  });

  it('GIVEN a forged or foreign id THEN no command', () => {
    expect(submissionOf('kb:m:e:../../x', { instruction: 'x' })).toBeUndefined();
    expect(submissionOf('kb:m:s:a:b', { shots: 'x' })).toBeUndefined();
    expect(submissionOf('kb:m:s:KLING:::', { shots: 'x' })).toBeUndefined();
    expect(submissionOf('other', {})).toBeUndefined();
  });
});
