import type { DiscordReplyTarget } from './handles.js';

/**
 * How an interaction has been acknowledged. Public or ephemeral is fixed at that moment and can
 * never change (https://discord.com/developers/docs/interactions/receiving-and-responding), so
 * every later answer depends on it. `settled`: the deferred "thinking…" message (@original) has
 * been filled or replaced, so a later answer is a follow-up.
 */
export interface AckState {
  ack: 'none' | 'card' | 'defer-public' | 'defer-ephemeral' | 'defer-update' | 'replied';
  settled: boolean;
}

export const UNANSWERED: AckState = { ack: 'none', settled: false };

/** How one answer reaches Discord: as the interaction's callback, or through its webhook (the outbox). */
export type Route =
  | { via: 'callback'; type: 4 | 5 | 6 | 7; ephemeral?: boolean }
  | { via: 'webhook'; mode: DiscordReplyTarget['mode'] }
  /** The public "thinking…" is the card's message: the outbox's first edit fills it. */
  | { via: 'placeholder' }
  | { via: 'none' };

/** An answer the interaction is asked to give. */
export type Answer =
  /** A private message to the person who acted. */
  | { kind: 'private' }
  /** A private message replacing the clicked button's message (paging a private list). */
  | { kind: 'update-private'; button: boolean }
  /** The task card, public. */
  | { kind: 'card' }
  /** The acknowledgement alone: a "thinking…" (public or private) or a button's silent ack. */
  | { kind: 'defer'; as: 'public' | 'private' | 'update'; button: boolean };

/**
 * Where an answer goes given what was sent before, and the state after it. Pure: the whole
 * acknowledgement protocol of one interaction, tested GIVEN/THEN (test/unit-ack-route.test.ts).
 */
export function routeOf(state: AckState, answer: Answer): { route: Route; next: AckState } {
  const { ack, settled } = state;
  switch (answer.kind) {
    case 'defer': {
      if (ack !== 'none') return { route: { via: 'none' }, next: state };
      if (answer.as === 'public') return callback(5, 'defer-public', false);
      if (answer.as === 'update' && answer.button) return callback(6, 'defer-update');
      return callback(5, 'defer-ephemeral', true);
    }
    case 'card':
      if (ack === 'none') return { route: { via: 'callback', type: 4 }, next: { ack: 'card', settled: true } };
      if (ack === 'defer-public' && !settled) return { route: { via: 'placeholder' }, next: settle(state) };
      return { route: { via: 'none' }, next: state };
    case 'update-private':
      if (answer.button && ack === 'none') return callback(7, 'replied');
      // After a deferred update, @original is the message the button is on.
      if (answer.button && ack === 'defer-update') return webhook('original', state);
      return routeOf(state, { kind: 'private' });
    case 'private':
      if (ack === 'none') return callback(4, 'replied', true);
      // The first follow-up would replace the public "thinking…" message and stay public: it is made private first.
      if (ack === 'defer-public' && !settled) return webhook('unpublic', settle(state));
      if (ack === 'defer-ephemeral' && !settled) return webhook('fill', settle(state));
      return webhook('followup', state);
  }
}

function callback(type: 4 | 5 | 6 | 7, ack: AckState['ack'], ephemeral?: boolean) {
  const route: Route = { via: 'callback', type, ...(ephemeral === undefined ? {} : { ephemeral }) };
  return { route, next: { ack, settled: type === 4 || type === 7 } };
}

const settle = (state: AckState): AckState => ({ ...state, settled: true });
const webhook = (mode: DiscordReplyTarget['mode'], next: AckState) => ({
  route: { via: 'webhook', mode } as Route,
  next,
});
