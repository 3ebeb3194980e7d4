/**
 * Parse once (issue 17): `prepare` turns a command's native input (Discord options and uploads, a
 * submitted form, Slack's text) into its typed arguments and what it will do, once; the dispatcher
 * runs that very value. GIVEN/THEN over the pure function, and one run through the dispatcher.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Dispatcher } from '../commands/dispatch.js';
import { prepare, type Prepared } from '../commands/prepare.js';
import { commandByName } from '../commands/index.js';
import { defineCommand, type Command } from '../commands/types.js';
import type { GenerationRequest } from '../src/domain.js';
import { ValidationError } from '../src/errors.js';
import { CARD_BY_OUTBOX, type Attachment, type Invocation } from '../src/invocation.js';
import { silentLogger } from '../src/log.js';
import { Metrics } from '../src/metrics.js';
import { submissionOf, type ModalView } from '../src/modals.js';
import type { PrivateView } from '../src/render/view.js';
import type { BotServices } from '../src/services.js';

const DEFAULTS = { videoModel: 'kling-v1', imageModel: 'kling-v1' };

function command(name: string): Command {
  const found = commandByName(name);
  if (!found) throw new Error(`no /${name}`);
  return found;
}

const png = (over: Partial<Attachment> = {}): Attachment => ({
  url: 'https://cdn.example/cat.png',
  filename: 'cat.png',
  contentType: 'image/png',
  size: 50_000,
  width: 640,
  height: 480,
  ...over,
});

function refusal(p: Prepared): ValidationError {
  if (p.kind !== 'refused' || !(p.error instanceof ValidationError)) throw new Error(`not refused: ${p.kind}`);
  return p.error;
}

describe('prepare', () => {
  it('GIVEN Discord options for /video THEN the typed arguments and the Kling request, flags in the prompt read', () => {
    const p = prepare(command('video'), { options: { prompt: 'a fox --ar 9:16', mode: 'std' } }, DEFAULTS);
    expect(p.kind).toBe('ready');
    if (p.kind !== 'ready') return;
    expect(p.args).toMatchObject({ prompt: 'a fox', aspect_ratio: '9:16', mode: 'std' });
    expect(p.plan).toMatchObject({
      submit: { kind: 'text2video', prompt: 'a fox', model: 'kling-v1', aspect_ratio: '9:16' },
    });
  });

  it('GIVEN /animate with an uploaded PNG THEN an image-to-video request from its link', () => {
    const image = png();
    const p = prepare(command('animate'), { options: { image: image.url }, attachments: { image } }, DEFAULTS);
    expect(p.kind === 'ready' && p.plan).toMatchObject({ submit: { kind: 'image2video', image: image.url } });
  });

  it('GIVEN an uploaded GIF or a too small image THEN refused, naming the option', () => {
    const gif = png({ filename: 'cat.gif', contentType: 'image/gif' });
    const tiny = png({ width: 100, height: 100 });
    const asGif = prepare(command('animate'), { options: { image: gif.url }, attachments: { image: gif } }, DEFAULTS);
    expect(refusal(asGif).field).toBe('image');
    expect(refusal(asGif).userMessage).toMatch(/PNG or JPEG/);
    const small = prepare(
      command('video'),
      { options: { prompt: 'a fox with @image_1', image_1: tiny.url }, attachments: { image_1: tiny } },
      DEFAULTS,
    );
    expect(refusal(small).field).toBe('image_1');
  });

  it('GIVEN Slack text for /animate THEN the first word is the image and flags in the rest are read', () => {
    const p = prepare(
      command('animate'),
      { text: ' https://x.example/cat.png the cat waves --mode pro ', imageFirst: true },
      DEFAULTS,
    );
    expect(p.kind === 'ready' && p.args).toMatchObject({
      image: 'https://x.example/cat.png',
      prompt: 'the cat waves',
      mode: 'pro',
    });
  });

  it('GIVEN "help" as the text THEN the usage; GIVEN a flag given twice THEN refused naming it', () => {
    expect(prepare(command('video'), { text: ' --help ' }, DEFAULTS).kind).toBe('help');
    const twice = prepare(command('video'), { options: { prompt: 'a fox --ar 9:16', aspect_ratio: '1:1' } }, DEFAULTS);
    expect(refusal(twice).field).toBe('--aspect_ratio');
  });

  it('GIVEN a submitted Edit form THEN the same typed arguments as typing /edit', () => {
    const submission = submissionOf('kb:m:e:kbabc123', { instruction: ' make it snow ' });
    if (!submission) throw new Error('form not recognised');
    const byForm = prepare(command(submission.command), { options: { ...submission.raw } }, DEFAULTS);
    const typed = prepare(command('edit'), { text: 'kbabc123 make it snow' }, DEFAULTS);
    expect(byForm.kind === 'ready' && byForm.args).toEqual({ id: 'kbabc123', instruction: 'make it snow' });
    expect(byForm.kind === 'ready' && typed.kind === 'ready' && typed.args).toEqual(
      byForm.kind === 'ready' && byForm.args,
    );
  });
});

describe('the dispatcher runs what prepare decided', () => {
  const inv: Invocation = {
    platform: 'console',
    guildId: 'g',
    channelId: 'c',
    user: { id: 'u', name: 'u', roleIds: [] },
  };

  it('GIVEN a prepared command THEN its prepare ran once and the task service gets that very request, never through the command; GIVEN a refusal THEN a private notice and nothing submitted', async () => {
    let prepares = 0;
    const request = { kind: 'text2video', prompt: 'p', model: 'kling-v1' } as unknown as GenerationRequest;
    const probe = defineCommand({
      name: 'probe',
      description: 'probe',
      visibility: 'card',
      options: z.object({ n: z.number().int().max(3) }),
      prepare: (args) => {
        prepares++;
        return { submit: { ...request, prompt: `p${args.n}` } };
      },
    }) as unknown as Command;
    const submitted: GenerationRequest[] = [];
    const tasks = { submit: async (_inv: Invocation, _io: unknown, r: GenerationRequest) => void submitted.push(r) };
    const bot = { log: silentLogger, defaults: DEFAULTS, tasks } as unknown as BotServices;
    const dispatcher = new Dispatcher(bot, new Metrics());
    const privates: PrivateView[] = [];
    const io = { card: CARD_BY_OUTBOX, replyPrivate: async (v: PrivateView) => void privates.push(v) };

    const ready = prepare(probe, { options: { n: 2 } }, DEFAULTS);
    await dispatcher.run(ready, inv, io);
    expect(prepares).toBe(1);
    expect(submitted).toEqual([{ ...request, prompt: 'p2' }]);
    expect(submitted[0]).toBe(ready.kind === 'ready' && ready.plan && 'submit' in ready.plan ? ready.plan.submit : 0);
    expect(privates).toEqual([]);

    await dispatcher.run(prepare(probe, { options: { n: 9 } }, DEFAULTS), inv, io);
    expect(prepares).toBe(1);
    expect(submitted).toHaveLength(1);
    expect(privates).toHaveLength(1);
    expect(JSON.stringify(privates[0])).toContain('n');
  });

  it('GIVEN /storyboard without shots THEN a form plan: opened where forms open, else the refusal it carries', async () => {
    const plan = prepare(command('storyboard'), { options: {} }, DEFAULTS);
    expect(plan.kind === 'ready' && plan.plan && 'form' in plan.plan && plan.plan.form.title).toBe('Storyboard');
    const bot = { log: silentLogger, defaults: DEFAULTS } as unknown as BotServices;
    const dispatcher = new Dispatcher(bot, new Metrics());
    const privates: PrivateView[] = [];
    const opened: ModalView[] = [];
    const io = { card: CARD_BY_OUTBOX, replyPrivate: async (v: PrivateView) => void privates.push(v) };
    await dispatcher.run(plan, inv, { ...io, openModal: async (m: ModalView) => void opened.push(m) });
    expect(opened.map((m) => m.title)).toEqual(['Storyboard']);
    expect(privates).toEqual([]);
    await dispatcher.run(plan, inv, io);
    expect(JSON.stringify(privates)).toContain('shots');
  });
});
