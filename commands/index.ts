import animate from './animate.js';
import credits from './credits.js';
import edit from './edit.js';
import extend from './extend.js';
import image from './image.js';
import quota from './quota.js';
import storyboard from './storyboard.js';
import task from './task.js';
import tasks from './tasks.js';
import type { Command } from './types.js';
import video from './video.js';

/** Every slash command, in the order platforms list them. */
export const commands: readonly Command[] = [
  video,
  animate,
  image,
  extend,
  edit,
  storyboard,
  task,
  tasks,
  quota,
  credits,
] as unknown as readonly Command[];

export const commandByName = (name: string): Command | undefined =>
  commands.find((c) => c.name === name.replace(/^\//, ''));
