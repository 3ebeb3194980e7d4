/** Which Slack workspace a request comes from, and whether it is served (GIVEN/THEN). */
import { describe, expect, it } from 'vitest';
import { teamOfBody, teamVerdict } from '../src/platforms/slack/team-gate.js';

describe('Slack team gate', () => {
  it('GIVEN each payload kind THEN its workspace is read from where Slack puts it', () => {
    expect(teamOfBody({ team_id: 'T1', command: '/video' })).toBe('T1');
    expect(teamOfBody({ type: 'block_actions', team: { id: 'T2' }, user: { id: 'U', team_id: 'T3' } })).toBe('T2');
    expect(teamOfBody({ type: 'view_submission', team: null, user: { id: 'U', team_id: 'T3' } })).toBe('T3');
    expect(teamOfBody({ type: 'block_actions', user: { id: 'U' } })).toBeUndefined();
    expect(teamOfBody({ team_id: 42 })).toBeUndefined();
    expect(teamOfBody('not an object')).toBeUndefined();
  });

  it('GIVEN the token’s own workspace THEN only it is served; unknown own or no team is refused', () => {
    expect(teamVerdict('T1', 'T1')).toBe('serve');
    expect(teamVerdict('T1', 'T2')).toBe('foreign');
    expect(teamVerdict('T1', undefined)).toBe('no-team');
    expect(teamVerdict(undefined, 'T1')).toBe('own-unknown');
  });
});
