import type { CreditsService } from './credits.js';
import type { CapabilityKind } from './kling/capabilities.js';
import type { Standard } from './domain.js';
import type { Logger } from './log.js';
import type { Limits } from './limits.js';
import type { TaskStore } from './store/task-store.js';
import type { TaskService } from './task-service.js';
import type { Tracker } from './tracker/tracker.js';

/** The models used when a command names none, and which Kling API standard a model would run on. */
export interface ModelDefaults {
  videoModel: string;
  imageModel: string;
  omniModel: string;
  standardFor?: (model: string, kind: CapabilityKind | 'storyboard') => Standard;
}

/** What command handlers may use: the core, never a platform. */
export interface BotServices {
  tasks: TaskService;
  /** The Kling account's resource packs (/credits). */
  credits: CreditsService;
  limits: Limits;
  store: TaskStore;
  tracker: Tracker;
  log: Logger;
  defaults: ModelDefaults;
  now: () => number;
}
