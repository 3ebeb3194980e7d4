import type { z } from 'zod';
import type { CapabilityKind } from '../src/kling/capabilities.js';
import type { CommandIO, Invocation } from '../src/invocation.js';
import type { BotServices } from '../src/services.js';
import type { RepeatableFlag } from './flags.js';
import type { ModelDefaults } from './generation.js';

export type { Attachment, CommandIO, Invocation } from '../src/invocation.js';

export interface CommandContext {
  inv: Invocation;
  io: CommandIO;
  bot: BotServices;
}

/** One slash command: its options as one zod schema and a platform-neutral handler. */
export interface Command<S extends z.ZodObject = z.ZodObject> {
  name: string;
  description: string;
  options: S;
  /** The option that takes the free text of the Slack form (`/video a cat --ar 9:16`). */
  freeText?: string;
  /**
   * In the text form, the first word goes to this option and the rest to `freeText` (`/extend kb123 the camera pulls
   * back`).
   */
  firstWord?: string;
  /** Options Discord asks for in the command's form (a modal) instead of as slash options (`/storyboard`'s shots). */
  formOnly?: readonly string[];
  /** Options shown to Discord as an attachment (the `/animate` image and end frame, `/video`'s image_1..4). */
  attachmentOptions?: readonly string[];
  /** On Slack the first word of the text is the first attachment option's URL (`/animate URL prompt`). */
  firstWordIsImage?: boolean;
  /** The one flag that may repeat (`--image` filling image_1, image_2, …); any other flag given twice is refused. */
  repeatable?: RepeatableFlag;
  /** `card` commands answer in public with a task card; `private` ones only to the caller. */
  visibility: 'card' | 'private';
  /** The capability-table kind whose models the `model` option offers (Discord autocomplete, help texts). */
  modelKind?: CapabilityKind;
  /**
   * Refusals that need no one asked: the capability table, the uploaded files. Pure and fast, so
   * an adapter can run it before deciding how to acknowledge; `execute` runs the same checks.
   */
  check?(args: z.infer<S>, ctx: { inv: Pick<Invocation, 'attachments'>; defaults: ModelDefaults }): void;
  execute(ctx: CommandContext, args: z.infer<S>): Promise<void>;
}

/** Lets each command file keep its exact option type while the registry holds them together. */
export const defineCommand = <S extends z.ZodObject>(command: Command<S>): Command<S> => command;
