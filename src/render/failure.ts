import type { TaskRecord } from '../domain.js';

/** Provider failure messages, matched loosely, turned into sentences a member understands. */
const KNOWN: Array<[RegExp, string]> = [
  [
    /risk control|moderat|safety|sensitive|policy/i,
    "Kling's safety check blocked this result. Try rewording the prompt.",
  ],
  [
    /pixel|resolution|image.*(invalid|size|format)|aspect/i,
    'Kling could not use the image: check that it is a JPG or PNG of at least 300 px, no longer than 2.5× its width.',
  ],
  [/timeout|timed out/i, 'Kling ran out of time generating this. Try again.'],
  [/balance|arrears|resource pack|insufficient/i, 'The Kling account is out of credits. An admin needs to top it up.'],
];

/** Our own failure codes (set when Kling refused or lost the task). */
const OWN: Record<string, string> = {
  lost: 'Kling no longer knows this task, so it could not be finished.',
  queue_expired: 'The task waited too long for a free Kling slot and was dropped. Nothing was charged.',
};

export function failureSentence(task: Pick<TaskRecord, 'statusMsg' | 'failureCode'>): string {
  // Kling refused the create: statusMsg already holds the KlingError's user sentence.
  if (task.failureCode === 'refused' && task.statusMsg) return task.statusMsg;
  if (task.failureCode && OWN[task.failureCode]) return OWN[task.failureCode] ?? '';
  const msg = task.statusMsg?.trim();
  if (!msg) return 'Kling could not finish this task and gave no reason.';
  for (const [pattern, sentence] of KNOWN) if (pattern.test(msg)) return sentence;
  const clean = msg.replace(/\s+/g, ' ').slice(0, 300);
  return `Kling could not finish this task: ${clean.endsWith('.') ? clean : `${clean}.`}`;
}
