import { z } from 'zod';

/**
 * Modals as a new way in (issue 20): a card's Edit button and Discord's /storyboard answer with a
 * form, and its submission becomes the same command, with the same typed arguments, as typing it.
 * The modal is platform-neutral data here; each adapter draws it (Discord type 9, Slack
 * views.open) and hands back the submitted values, which `submissionOf` turns into the command's
 * raw options: the one place a modal becomes a command.
 *
 * Ids (Discord custom_id ≤ 100, Slack callback_id ≤ 255) say which form it is and carry what the
 * form does not ask: the source task of an edit, the options given with /storyboard.
 */

export interface ModalInput {
  id: string;
  /** Discord's label ≤ 45, Slack's ≤ 2,000: kept within 45. */
  label: string;
  style: 'short' | 'paragraph';
  placeholder?: string;
  minLength?: number;
  /** ≤ 4,000 on Discord, ≤ 3,000 on Slack (the storyboard form is Discord's only). */
  maxLength: number;
}

export interface ModalView {
  id: string;
  /** Slack's title ≤ 24 characters, Discord's ≤ 45: kept within 24. */
  title: string;
  submitLabel: string;
  inputs: ModalInput[];
}

const EDIT_PREFIX = 'kb:m:e:';
const STORYBOARD_PREFIX = 'kb:m:s:';
/** Kling's instruction and prompt cap (docs/sources.md, "Kling's two API standards": prompt ≤ 2,500). */
const INSTRUCTION_MAX = 2500;
/** Six shots of 512 characters and their `seconds: ` prefixes. */
export const SHOTS_MAX = 3200;

const TaskId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/** The Edit button's form: one question, the answer is the instruction of `/edit id instruction`. */
export function editModal(taskId: string): ModalView {
  return {
    id: `${EDIT_PREFIX}${taskId}`,
    title: 'Edit this video',
    submitLabel: 'Edit',
    inputs: [
      {
        id: 'instruction',
        label: 'What should change?',
        style: 'paragraph',
        placeholder: 'make it snow; turn day into night',
        minLength: 1,
        maxLength: INSTRUCTION_MAX,
      },
    ],
  };
}

/** What /storyboard was given before its form opened; each value already passed the command's schema. */
export interface StoryboardModalOptions {
  model?: string | undefined;
  resolution?: string | undefined;
  aspect_ratio?: string | undefined;
  sound?: string | undefined;
}

// Option values travel in the id: `:` separates them, so a ratio is written 16x9.
const OPTION_VALUE = /^[a-z0-9.-]{0,40}$/;
const encodeOption = (v: string | undefined) => (v ?? '').replace(':', 'x');
const decodeOption = (v: string, ratio = false) => (v === '' ? undefined : ratio ? v.replace('x', ':') : v);

export function storyboardModal(options: StoryboardModalOptions): ModalView {
  const parts = [options.model, options.resolution, options.aspect_ratio, options.sound].map(encodeOption);
  return {
    id: `${STORYBOARD_PREFIX}${parts.join(':')}`,
    title: 'Storyboard',
    submitLabel: 'Make it',
    inputs: [
      {
        id: 'shots',
        label: 'Shots, one a line: seconds: what happens',
        style: 'paragraph',
        placeholder: '3: a cat jumps off the sofa\n4: it lands softly and looks around',
        minLength: 1,
        maxLength: SHOTS_MAX,
      },
    ],
  };
}

/** A submitted form as the command it stands for, with raw options for that command's own parser. */
export type ModalSubmission =
  | { command: 'edit'; raw: { id: string; instruction: string } }
  | { command: 'storyboard'; raw: { shots: string } & StoryboardModalOptions };

/** Undefined for an id this bot did not make (a forged or stale form): the adapter says it is unknown. */
export function submissionOf(
  modalId: string,
  values: Readonly<Record<string, string | undefined>>,
): ModalSubmission | undefined {
  if (modalId.startsWith(EDIT_PREFIX)) {
    const id = modalId.slice(EDIT_PREFIX.length);
    if (!TaskId.safeParse(id).success) return undefined;
    return { command: 'edit', raw: { id, instruction: values['instruction'] ?? '' } };
  }
  if (modalId.startsWith(STORYBOARD_PREFIX)) {
    const parts = modalId.slice(STORYBOARD_PREFIX.length).split(':');
    if (parts.length !== 4 || !parts.every((p) => OPTION_VALUE.test(p))) return undefined;
    const [model = '', resolution = '', ratio = '', sound = ''] = parts;
    const options: StoryboardModalOptions = {};
    if (model) options.model = model;
    if (resolution) options.resolution = resolution;
    if (ratio) options.aspect_ratio = decodeOption(ratio, true);
    if (sound) options.sound = sound;
    return { command: 'storyboard', raw: { shots: values['shots'] ?? '', ...options } };
  }
  return undefined;
}
