import { z } from 'zod';
import { TaskState, type TaskResult } from '../domain.js';

const KlingStatus = z.enum(['submitted', 'processing', 'succeed', 'failed']);

/** The official task object (also the body of a callback). */
export const OfficialTask = z.object({
  task_id: z.string(),
  task_status: KlingStatus,
  task_status_msg: z.string().nullish(),
  task_info: z.object({ external_task_id: z.string().nullish() }).partial().nullish(),
  created_at: z.number().nullish(),
  updated_at: z.number().nullish(),
  task_result: z
    .object({
      videos: z
        .array(z.object({ id: z.coerce.string(), url: z.string(), duration: z.coerce.string().nullish() }))
        .nullish(),
      images: z.array(z.object({ index: z.number(), url: z.string() })).nullish(),
    })
    .nullish(),
  final_unit_deduction: z.coerce.string().nullish(),
});

export const OfficialEnvelope = z.object({
  code: z.literal(0),
  message: z.string().nullish(),
  request_id: z.string().nullish(),
  data: OfficialTask,
});

export const OfficialListEnvelope = z.object({
  code: z.literal(0),
  data: z.array(OfficialTask),
});

/** The new-api gateway convention (seed 004): unified status, a percentage, the official answer inside. */
export const GatewayEnvelope = z.object({
  code: z.literal('success'),
  message: z.string().nullish(),
  data: z.object({
    task_id: z.string(),
    status: z.string(),
    progress: z.string().nullish(),
    data: z.unknown(),
  }),
});

export const ErrorBody = z.union([
  z.object({ code: z.number(), message: z.string().nullish(), request_id: z.string().nullish() }),
  // Gateways wrap Kling's error: {code:"fail", data:{code:1303,…}}.
  z.object({
    code: z.string(),
    message: z.string().nullish(),
    data: z.object({ code: z.number(), message: z.string().nullish() }).nullish(),
  }),
]);

/** One typed task, whichever envelope it came in. */
export interface KlingTask {
  taskId: string;
  status: Exclude<TaskState, 'pending' | 'queued'>;
  statusMsg?: string;
  externalTaskId?: string;
  createdAt?: number;
  updatedAt?: number;
  result?: TaskResult;
  credits?: string;
  /** 0–100, only when a gateway reports one. */
  progress?: number;
}

const GATEWAY_STATUS: Record<string, KlingTask['status']> = {
  NOT_START: 'submitted',
  SUBMITTED: 'submitted',
  QUEUED: 'submitted',
  UNKNOWN: 'submitted',
  IN_PROGRESS: 'processing',
  SUCCESS: 'succeed',
  FAILURE: 'failed',
};

export function fromOfficialTask(task: z.infer<typeof OfficialTask>): KlingTask {
  const r = task.task_result;
  const result =
    r && (r.videos?.length || r.images?.length)
      ? {
          videos: (r.videos ?? []).map((v) => ({
            id: v.id,
            url: v.url,
            ...(v.duration ? { duration: v.duration } : {}),
          })),
          images: (r.images ?? []).map((i) => ({ index: i.index, url: i.url })),
        }
      : undefined;
  return {
    taskId: task.task_id,
    status: task.task_status,
    ...(task.task_status_msg ? { statusMsg: task.task_status_msg } : {}),
    ...(task.task_info?.external_task_id ? { externalTaskId: task.task_info.external_task_id } : {}),
    ...(task.created_at != null ? { createdAt: task.created_at } : {}),
    ...(task.updated_at != null ? { updatedAt: task.updated_at } : {}),
    ...(result ? { result } : {}),
    ...(task.final_unit_deduction ? { credits: task.final_unit_deduction } : {}),
  };
}

function parsePercent(text: string | null | undefined): number | undefined {
  const m = text ? /^(\d{1,3}(?:\.\d+)?)%?$/.exec(text.trim()) : null;
  return m ? Math.min(100, Number(m[1])) : undefined;
}

/** Accepts the official envelope, the gateway envelope, or a bare task (callbacks); undefined if none fits. */
export function parseTaskBody(body: unknown): KlingTask | undefined {
  const official = OfficialEnvelope.safeParse(body);
  if (official.success) return fromOfficialTask(official.data.data);
  const gateway = GatewayEnvelope.safeParse(body);
  if (gateway.success) {
    const g = gateway.data.data;
    const inner = parseTaskBody(g.data);
    const mapped = GATEWAY_STATUS[g.status.toUpperCase()];
    if (!inner && !mapped) return undefined;
    const progress = parsePercent(g.progress);
    return {
      ...(inner ?? {}),
      taskId: inner?.taskId ?? g.task_id,
      status: inner?.status ?? mapped ?? 'submitted',
      ...(progress !== undefined ? { progress } : {}),
    };
  }
  const bare = OfficialTask.safeParse(body);
  if (bare.success) return fromOfficialTask(bare.data);
  return undefined;
}

export function parseTaskList(body: unknown): KlingTask[] | undefined {
  const list = OfficialListEnvelope.safeParse(body);
  return list.success ? list.data.data.map(fromOfficialTask) : undefined;
}

/**
 * One resource pack of `GET /account/costs` (Kling API docs, account: status toBeOnline | online | expired |
 * runOut).
 */
export const ResourcePack = z.object({
  resource_pack_name: z.string().nullish(),
  resource_pack_id: z.coerce.string().nullish(),
  resource_pack_type: z.string().nullish(),
  total_quantity: z.coerce.number().nullish(),
  remaining_quantity: z.coerce.number().nullish(),
  purchase_time: z.number().nullish(),
  effective_time: z.number().nullish(),
  invalid_time: z.number().nullish(),
  status: z.string().nullish(),
});

export const AccountCostsEnvelope = z.object({
  code: z.literal(0),
  data: z.object({ resource_pack_subscribe_infos: z.array(ResourcePack).nullish() }).passthrough(),
});

export interface Pack {
  name: string;
  type?: string;
  total?: number;
  remaining?: number;
  /** When the pack stops being usable (ms). */
  expiresAt?: number;
  status: 'toBeOnline' | 'online' | 'expired' | 'runOut' | 'unknown';
}

const PACK_STATUS = new Set(['toBeOnline', 'online', 'expired', 'runOut']);

export function parseAccountCosts(body: unknown): Pack[] | undefined {
  const parsed = AccountCostsEnvelope.safeParse(body);
  if (!parsed.success) return undefined;
  return (parsed.data.data.resource_pack_subscribe_infos ?? []).map((p) => ({
    name: p.resource_pack_name ?? p.resource_pack_id ?? 'resource pack',
    ...(p.resource_pack_type ? { type: p.resource_pack_type } : {}),
    ...(p.total_quantity != null ? { total: p.total_quantity } : {}),
    ...(p.remaining_quantity != null ? { remaining: p.remaining_quantity } : {}),
    ...(p.invalid_time != null ? { expiresAt: p.invalid_time } : {}),
    status: p.status && PACK_STATUS.has(p.status) ? (p.status as Pack['status']) : 'unknown',
  }));
}
