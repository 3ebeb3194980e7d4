import { isFinal, type GenerationRequest, type TaskKind, type TaskRecord, type TaskState } from '../domain.js';
import { failureSentence } from './failure.js';
import { modelName } from '../kling/model-table.js';
import { expectedUnitsOf, violationOf } from '../kling/rules.js';
import { costText, durationText, progressBar, shorten } from './format.js';
import { omniModel } from '../omni/defaults.js';
import { editViolationOf } from '../omni/edit-request.js';
import { isOmniLike, omniFields, omniOptionsText, omniPrompt, omniTitle } from './omni-card.js';
import type { CardView } from './view.js';
import { withCopies } from '../media/copies.js';

export const MEDIA_LIFETIME_MS = 30 * 86_400_000;
export const PROMPT_PREVIEW = 350;
/** Estimated progress moves in steps, so the card is edited a few times, not every poll. */
const ESTIMATE_STEP = 25;

/** What the tracker knows beyond the record. */
export interface CardContext {
  now: number;
  /** 1-based place in the bot's queue while `queued`. */
  queuePosition?: number;
  /** Median duration of similar finished tasks, for the estimate. */
  typicalMs?: number;
}

const KIND_TITLES: Record<TaskKind, string> = {
  text2video: '🎬 Text to video',
  image2video: '🎞️ Image to video',
  image: '🖼️ Image',
  extend: '⏩ Extended video',
  omni: '🧩 Omni video',
  storyboard: '🎬 Storyboard',
};

const STATE_LABELS: Record<TaskState, string> = {
  pending: 'Sending to Kling',
  queued: 'Queued',
  submitted: 'Submitted',
  processing: 'Processing',
  succeed: 'Done',
  failed: 'Failed',
};
export const stateLabel = (state: TaskState) => STATE_LABELS[state];

export function optionsText(req: GenerationRequest): string {
  if (isOmniLike(req)) return omniOptionsText(req);
  // The model's name from the table (either id may have been typed); an id it does not know, as typed.
  const parts: string[] = [modelName(req.model, req.kind === 'extend' ? req.sourceKind : req.kind)];
  if (req.kind === 'extend') {
    parts.push(req.mode, `+4–5s on ${Math.round(req.sourceSeconds)}s`);
    return parts.join(' · ');
  }
  if (req.kind !== 'image') parts.push(req.resolution ?? req.mode, `${req.duration}s`);
  if (req.kind !== 'image2video') parts.push(req.aspect_ratio);
  if (req.kind === 'image') parts.push(`${req.n} image${req.n > 1 ? 's' : ''}`);
  if ('cfg_scale' in req && req.cfg_scale !== undefined) parts.push(`cfg ${req.cfg_scale}`);
  if (req.kind === 'image2video' && req.image_tail !== undefined) parts.push('start + end frame');
  // Whether the video has sound (records from before sound existed say nothing).
  if (req.kind !== 'image' && req.sound !== undefined) parts.push(req.sound === 'on' ? '🔊 with sound' : '🔇 no sound');
  return parts.join(' · ');
}

function promptOf(req: GenerationRequest): string {
  if (isOmniLike(req)) return omniPrompt(req, PROMPT_PREVIEW);
  if (req.prompt) return shorten(req.prompt, PROMPT_PREVIEW);
  return req.kind === 'extend'
    ? '(no prompt: continue the video as it goes)'
    : '(no prompt: animate the image as it is)';
}

function progressOf(task: TaskRecord, ctx: CardContext): CardView['progress'] {
  if (task.state === 'succeed') return { percent: 100, estimated: false, bar: progressBar(100) };
  if (task.state !== 'processing' && task.state !== 'submitted') return undefined;
  if (task.progress !== undefined)
    return { percent: Math.round(task.progress), estimated: false, bar: progressBar(task.progress) };
  const percent = estimatedPercent(task, ctx);
  return percent === undefined ? undefined : { percent, estimated: true, bar: progressBar(percent) };
}

/** The estimate shown while Kling gives no percentage; moves in steps so edits stay few. */
export function estimatedPercent(task: TaskRecord, ctx: CardContext): number | undefined {
  if (!ctx.typicalMs || task.progress !== undefined || (task.state !== 'processing' && task.state !== 'submitted'))
    return undefined;
  const raw = ((ctx.now - (task.submittedAt ?? task.createdAt)) / ctx.typicalMs) * 100;
  return Math.min(95, Math.floor(raw / ESTIMATE_STEP) * ESTIMATE_STEP);
}

function noticeOf(task: TaskRecord, ctx: CardContext): string | undefined {
  if (task.state === 'failed') return failureSentence(task);
  if (task.state === 'queued') {
    const place = ctx.queuePosition ? ` You are #${ctx.queuePosition} in line.` : '';
    return `The Kling account is busy; this task starts as soon as a slot frees.${place}`;
  }
  if (task.delayedSince !== undefined && !isFinal(task.state))
    return 'Delayed: Kling is slow to answer right now. The bot keeps checking.';
  return undefined;
}

function statusLineOf(task: TaskRecord, progress: CardView['progress'], ctx: CardContext): string {
  const label = STATE_LABELS[task.state];
  if (progress && task.state !== 'succeed')
    return `${label} · ${progress.percent}%${progress.estimated ? ' (estimate)' : ''}`;
  if (task.state === 'queued' && ctx.queuePosition) return `${label} · #${ctx.queuePosition} in line`;
  return label;
}

function mediaOf(task: TaskRecord): CardView['media'] {
  const videos = task.result?.videos ?? [];
  const images = task.result?.images ?? [];
  return [
    ...videos.map((v, i) => ({
      url: v.url,
      kind: 'video' as const,
      label: `${videos.length > 1 ? `Video ${i + 1}` : 'Video'}${v.duration ? ` (${v.duration}s)` : ''}`,
    })),
    ...images.map((img, i) => ({ url: img.url, kind: 'image' as const, label: `Image ${i + 1}` })),
  ];
}

function buttonsOf(task: TaskRecord, now: number): CardView['buttons'] {
  if (!isFinal(task.state)) return [{ action: 'refresh', label: 'Refresh', style: 'secondary' }];
  // A finished video can be made longer (video-extend), with the same prompt, where Kling documents it for the model.
  const req = task.request;
  const extendable =
    task.state === 'succeed' &&
    req.kind !== 'image' &&
    !isOmniLike(req) &&
    (task.result?.videos.length ?? 0) > 0 &&
    !violationOf({ kind: req.kind === 'extend' ? req.sourceKind : req.kind, model: req.model, extend: true });
  return [
    { action: 'regenerate', label: 'Regenerate', style: 'primary' },
    ...(extendable ? [{ action: 'extend' as const, label: 'Extend', style: 'secondary' as const }] : []),
    // Edit: the video within the edit model's reference-video limits and Kling's 30 days.
    ...(editViolationOf(task, omniModel(), now)
      ? []
      : [{ action: 'edit' as const, label: 'Edit', style: 'secondary' as const }]),
    { action: 'refresh', label: 'Refresh', style: 'secondary' },
    { action: 'delete', label: 'Delete', style: 'danger' },
  ];
}

/** task → card. Pure: same task and context, same view (with the results' platform copies, if any). */
export function renderCard(task: TaskRecord, ctx: CardContext): CardView {
  return withCopies(baseCard(task, ctx), task.media);
}

function baseCard(task: TaskRecord, ctx: CardContext): CardView {
  const progress = progressOf(task, ctx);
  const statusLine = statusLineOf(task, progress, ctx);
  const media = mediaOf(task);
  const notice = noticeOf(task, ctx);
  const fields: CardView['fields'] = [
    { label: 'Options', value: optionsText(task.request) },
    { label: 'Requested by', value: task.scope.userName },
    { label: 'Task', value: task.klingTaskId ? `${task.id} · Kling ${task.klingTaskId}` : task.id },
  ];
  if (isOmniLike(task.request)) fields.push(...omniFields(task.request, ctx.now));
  if (task.request.kind === 'extend') {
    // The link to the parent: its id (for /task) and its video.
    const parent = task.request.parentVideoUrl
      ? `${task.request.parentTaskId} · ${task.request.parentVideoUrl}`
      : task.request.parentTaskId;
    fields.push({ label: 'Extends', value: parent });
  }
  // Cost: Kling's final_unit_deduction once done; while running, the capability table's estimate.
  const running = !isFinal(task.state);
  const cost = costText(task.credits, running ? expectedUnitsOf(task.request) : undefined);
  if (cost) fields.push({ label: 'Credits', value: cost });
  const tookText = task.finishedAt ? durationText(task.finishedAt - task.createdAt) : undefined;
  const expiresAt = task.state === 'succeed' && task.finishedAt ? task.finishedAt + MEDIA_LIFETIME_MS : undefined;
  const title = isOmniLike(task.request) ? omniTitle(task.request) : KIND_TITLES[task.request.kind];
  const fallback = [
    `${title} · ${statusLine}`,
    promptOf(task.request),
    ...(notice ? [notice] : []),
    ...media.map((m) => `${m.label}: ${m.url}`),
  ].join('\n');
  return {
    taskId: task.id,
    ...(task.klingTaskId ? { klingTaskId: task.klingTaskId } : {}),
    kind: task.request.kind,
    state: task.state,
    tone:
      task.state === 'succeed'
        ? 'success'
        : task.state === 'failed'
          ? 'failure'
          : notice
            ? 'warning'
            : task.state === 'processing'
              ? 'active'
              : 'pending',
    title,
    statusLine,
    ...(progress ? { progress } : {}),
    prompt: promptOf(task.request),
    fields,
    requester: { id: task.scope.userId, name: task.scope.userName },
    startedAt: task.createdAt,
    ...(tookText ? { tookText } : {}),
    media,
    ...(notice ? { notice } : {}),
    ...(expiresAt ? { expiresAt } : {}),
    ...(isFinal(task.state) && task.doneAt !== undefined ? { doneAt: task.doneAt } : {}),
    buttons: buttonsOf(task, ctx.now),
    fallbackText: fallback,
  };
}

/** What decides whether a card needs an edit: the whole view (it holds no clock-driven text). */
export function cardSignature(view: CardView): string {
  return JSON.stringify(view);
}
