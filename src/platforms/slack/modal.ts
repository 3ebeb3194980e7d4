import { z } from 'zod';
import type { Invocation } from '../../invocation.js';
import type { ModalView } from '../../modals.js';

/**
 * A neutral form as a Slack modal (views.open). A view_submission names no channel, so the
 * channel the form was opened from rides in `private_metadata` (kept by Slack, not the user).
 */
export function slackModal(view: ModalView, channelId: string) {
  return {
    type: 'modal' as const,
    callback_id: view.id,
    private_metadata: JSON.stringify({ channel: channelId }),
    title: { type: 'plain_text' as const, text: view.title },
    submit: { type: 'plain_text' as const, text: view.submitLabel },
    close: { type: 'plain_text' as const, text: 'Cancel' },
    blocks: view.inputs.map((input) => ({
      type: 'input' as const,
      block_id: input.id,
      label: { type: 'plain_text' as const, text: input.label },
      element: {
        type: 'plain_text_input' as const,
        action_id: 'value',
        multiline: input.style === 'paragraph',
        max_length: Math.min(input.maxLength, 3000),
        ...(input.minLength !== undefined ? { min_length: input.minLength } : {}),
        ...(input.placeholder
          ? { placeholder: { type: 'plain_text' as const, text: input.placeholder.slice(0, 150) } }
          : {}),
      },
    })),
  };
}

const Id = z.string().min(1).max(64);

/** The parts of a `view_submission` the adapter reads, parsed once at the edge. */
export const ViewSubmissionPayload = z.object({
  type: z.literal('view_submission'),
  team: z.object({ id: Id }).nullish(),
  user: z.object({
    id: Id,
    username: z.string().optional(),
    name: z.string().optional(),
    team_id: z.string().optional(),
  }),
  trigger_id: z.string().max(256).optional(),
  view: z.object({
    callback_id: z.string().max(255),
    private_metadata: z.string().max(3000).default(''),
    state: z.object({
      values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }))),
    }),
  }),
});
export type ViewSubmissionPayload = z.infer<typeof ViewSubmissionPayload>;

const Metadata = z.object({ channel: Id });

/** The submission as the neutral form sees it: its id, values by input id, and where it was opened. */
export function readSubmission(
  p: ViewSubmissionPayload,
): { modalId: string; values: Record<string, string>; channelId: string; teamId: string } | undefined {
  let meta: unknown;
  try {
    meta = JSON.parse(p.view.private_metadata);
  } catch {
    return undefined;
  }
  const where = Metadata.safeParse(meta);
  const teamId = p.team?.id ?? p.user.team_id;
  if (!where.success || !teamId) return undefined;
  const values: Record<string, string> = {};
  for (const [blockId, actions] of Object.entries(p.view.state.values)) {
    const value = actions['value']?.value;
    if (typeof value === 'string') values[blockId] = value;
  }
  return { modalId: p.view.callback_id, values, channelId: where.data.channel, teamId };
}

/** Who submitted, where the form was opened: the command's Invocation (the trigger id keys the one claim). */
export function viewInvocation(p: ViewSubmissionPayload, where: { channelId: string; teamId: string }): Invocation {
  return {
    platform: 'slack',
    guildId: where.teamId,
    channelId: where.channelId,
    user: { id: p.user.id, name: p.user.username || p.user.name || p.user.id, roleIds: [p.user.id], isAdmin: false },
    ...(p.trigger_id ? { requestKey: `slack:${p.trigger_id}` } : {}),
  };
}
