import type { CreditsService } from './credits.js';
import type { Logger } from './log.js';
import type { Limits } from './limits.js';
import type { TaskStore } from './store/task-store.js';
import type { TaskService } from './task-service.js';
import type { Tracker } from './tracker/tracker.js';

/** What command handlers may use: the core, never a platform. */
export interface BotServices {
  tasks: TaskService;
  /** The Kling account's resource packs (/credits). */
  credits: CreditsService;
  limits: Limits;
  store: TaskStore;
  tracker: Tracker;
  log: Logger;
  defaults: { videoModel: string; imageModel: string; omniModel: string };
  now: () => number;
}
