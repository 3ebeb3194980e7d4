import type { z } from 'zod';
import type { GenerationRequest } from '../src/domain.js';
import type { ValidationError } from '../src/errors.js';
import type { CapabilityKind } from '../src/kling/capabilities.js';
import type { Attachment, CommandIO, Invocation } from '../src/invocation.js';
import type { ModalView } from '../src/modals.js';
import type { BotServices } from '../src/services.js';
import type { RepeatableFlag } from './flags.js';
import type { ModelDefaults } from './generation.js';

export type { Attachment, CommandIO, Invocation } from '../src/invocation.js';

export interface CommandContext {
  inv: Invocation;
  io: CommandIO;
  bot: BotServices;
}

/** What `prepare` is given beside the typed arguments. */
export interface PrepareContext {
  /** Files uploaded with the command (Discord's attachment options), by option name; none from text or a form. */
  attachments: Readonly<Record<string, Attachment>>;
  defaults: ModelDefaults;
}

/**
 * What a card command will do, decided by its `prepare` and carried out by the dispatcher as it is
 * (commands/dispatch.ts), without coming back to the command: make this Kling task (its card is the
 * answer), or ask for the rest in a form (`/storyboard`'s shots) where forms open, else refuse with
 * `withoutForm`.
 */
export type Plan = { submit: GenerationRequest } | { form: ModalView; withoutForm: ValidationError };

/**
 * One slash command: its options as one zod schema, and either `prepare` (what it will do, decided
 * without asking anyone: a Plan) or `execute` (a handler for what needs the store first: /extend's
 * source, /tasks, /quota).
 */
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
  /** The `model` option offers only models that make multi-shot videos (`/storyboard`), omni ones included. */
  multiShotOnly?: true;
  /**
   * What the command will do with these arguments, decided without asking anyone: the uploaded files and
   * the capability table are checked and the Kling request is built. Pure and fast; run once per command
   * (commands/prepare.ts), before the adapter chooses the acknowledgement. Throws the refusal the user
   * sees (a ValidationError); the dispatcher carries out the Plan it returns.
   */
  prepare?(args: z.infer<S>, ctx: PrepareContext): Plan;
  /** The handler of a command without `prepare`. */
  execute?(ctx: CommandContext, args: z.infer<S>): Promise<void>;
}

/** Lets each command file keep its exact option type while the registry holds them together. */
export const defineCommand = <S extends z.ZodObject>(command: Command<S>): Command<S> => command;
