import { describe, expect, it } from 'vitest';
import { routeOf, UNANSWERED, type AckState, type Answer } from '../src/platforms/discord/ack-route.js';

// Expected routes follow Discord's interaction protocol as documented
// (https://discord.com/developers/docs/interactions/receiving-and-responding): one callback
// (4 message, 5 deferred message, 6 deferred update, 7 update message), then the webhook.
const at = (ack: AckState['ack'], settled = false): AckState => ({ ack, settled });
const button = true;

describe('routeOf: the acknowledgement protocol of one interaction', () => {
  it('GIVEN nothing sent WHEN a private answer THEN it is the callback itself, type 4 ephemeral', () => {
    expect(routeOf(UNANSWERED, { kind: 'private' })).toEqual({
      route: { via: 'callback', type: 4, ephemeral: true },
      next: at('replied', true),
    });
  });

  it('GIVEN nothing sent WHEN the card THEN it is the callback, type 4 public', () => {
    expect(routeOf(UNANSWERED, { kind: 'card' })).toEqual({
      route: { via: 'callback', type: 4 },
      next: at('card', true),
    });
  });

  it('GIVEN nothing sent WHEN deferred public, private or as a button update THEN type 5 public, 5 ephemeral, 6', () => {
    const defer = (as: 'public' | 'private' | 'update', isButton: boolean): Answer => ({
      kind: 'defer',
      as,
      button: isButton,
    });
    expect(routeOf(UNANSWERED, defer('public', false)).route).toEqual({ via: 'callback', type: 5, ephemeral: false });
    expect(routeOf(UNANSWERED, defer('private', false)).route).toEqual({ via: 'callback', type: 5, ephemeral: true });
    expect(routeOf(UNANSWERED, defer('update', button))).toEqual({
      route: { via: 'callback', type: 6 },
      next: at('defer-update'),
    });
  });

  it('GIVEN a command (no message to update) WHEN deferred as an update THEN it is a private "thinking…"', () => {
    expect(routeOf(UNANSWERED, { kind: 'defer', as: 'update', button: false })).toEqual({
      route: { via: 'callback', type: 5, ephemeral: true },
      next: at('defer-ephemeral'),
    });
  });

  it('GIVEN anything sent WHEN asked to defer again THEN nothing is sent (a second callback is refused, 40060)', () => {
    for (const ack of ['card', 'defer-public', 'defer-ephemeral', 'defer-update', 'replied'] as const)
      expect(routeOf(at(ack), { kind: 'defer', as: 'public', button }).route).toEqual({ via: 'none' });
  });

  it('GIVEN a public "thinking…" WHEN the card THEN the placeholder is the card, once', () => {
    const first = routeOf(at('defer-public'), { kind: 'card' });
    expect(first).toEqual({ route: { via: 'placeholder' }, next: at('defer-public', true) });
    expect(routeOf(first.next, { kind: 'card' }).route).toEqual({ via: 'none' });
  });

  it('GIVEN a public "thinking…" WHEN a private answer THEN the placeholder is made private first, then follow-ups', () => {
    const first = routeOf(at('defer-public'), { kind: 'private' });
    expect(first).toEqual({ route: { via: 'webhook', mode: 'unpublic' }, next: at('defer-public', true) });
    expect(routeOf(first.next, { kind: 'private' }).route).toEqual({ via: 'webhook', mode: 'followup' });
  });

  it('GIVEN a private "thinking…" WHEN private answers THEN the first fills it, the next follow', () => {
    const first = routeOf(at('defer-ephemeral'), { kind: 'private' });
    expect(first).toEqual({ route: { via: 'webhook', mode: 'fill' }, next: at('defer-ephemeral', true) });
    expect(routeOf(first.next, { kind: 'private' }).route).toEqual({ via: 'webhook', mode: 'followup' });
  });

  it('GIVEN a card or a private answer sent WHEN a private answer THEN a follow-up', () => {
    expect(routeOf(at('card', true), { kind: 'private' }).route).toEqual({ via: 'webhook', mode: 'followup' });
    expect(routeOf(at('replied', true), { kind: 'private' }).route).toEqual({ via: 'webhook', mode: 'followup' });
  });

  it('GIVEN a button WHEN its private list is paged THEN type 7 before any ack, @original after a deferred update', () => {
    expect(routeOf(UNANSWERED, { kind: 'update-private', button })).toEqual({
      route: { via: 'callback', type: 7 },
      next: at('replied', true),
    });
    expect(routeOf(at('defer-update'), { kind: 'update-private', button }).route).toEqual({
      via: 'webhook',
      mode: 'original',
    });
  });

  it('GIVEN a command WHEN an update of a private answer THEN it is a private answer', () => {
    expect(routeOf(UNANSWERED, { kind: 'update-private', button: false }).route).toEqual({
      via: 'callback',
      type: 4,
      ephemeral: true,
    });
  });

  it('GIVEN a card already answered WHEN the card again THEN unavailable (no second card from one command)', () => {
    expect(routeOf(at('card', true), { kind: 'card' }).route).toEqual({ via: 'none' });
    expect(routeOf(at('defer-ephemeral'), { kind: 'card' }).route).toEqual({ via: 'none' });
  });
});
