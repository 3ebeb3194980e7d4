import { afterEach, describe, expect, it } from 'vitest';
import { checkAttachment } from '../commands/generation.js';
import { parseFlags, tokenize } from '../commands/flags.js';
import { commandByName } from '../commands/index.js';
import type { Command } from '../commands/types.js';
import { parseArgs, rawFromText } from '../commands/prepare.js';
import { ValidationError } from '../src/errors.js';
import { Cleanup, makeCore, makeInv, makeIo } from './helpers/core-harness.js';
import { RecordingPort } from './helpers/core-port.js';
import { pageOf } from '../src/store/paging.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.closeAll());

function command(name: string): Command {
  const found = commandByName(name);
  if (!found) throw new Error(`no /${name} command`);
  return found;
}
const VIDEO = command('video');
const ANIMATE = command('animate');
const IMAGE = command('image');
const TASKS = command('tasks');

/** The Slack path: text → raw options → typed args. */
const slack = (command: Command, text: string): Record<string, unknown> =>
  parseArgs(command, rawFromText(command, text)) as Record<string, unknown>;

function validationOf(run: () => unknown): ValidationError {
  try {
    run();
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('flag parser', () => {
  it('reads the Midjourney-style form into the /video options', () => {
    expect(slack(VIDEO, 'a cat surfing --ar 9:16 --duration 10 --mode pro --neg "blurry"')).toEqual({
      prompt: 'a cat surfing',
      aspect_ratio: '9:16',
      duration: '10',
      mode: 'pro',
      negative_prompt: 'blurry',
    });
  });

  it('knows --no, the --x=y form, quoted values and flags between prompt words', () => {
    expect(slack(VIDEO, 'a fox --no "rain, fog" in snow --ar=1:1 --cfg=0.25 --model kling-v1')).toEqual({
      prompt: 'a fox in snow',
      negative_prompt: 'rain, fog',
      aspect_ratio: '1:1',
      cfg_scale: 0.25,
      model: 'kling-v1',
    });
    expect(tokenize(`say “hello there” and 'bye now'`).map((t) => t.text)).toEqual([
      'say',
      'hello there',
      'and',
      'bye now',
    ]);
  });

  it('a quoted value in the --x="y z" form stays one value', () => {
    expect(slack(VIDEO, 'a fox --neg="low quality, blurry" --ar 9:16')).toEqual({
      prompt: 'a fox',
      negative_prompt: 'low quality, blurry',
      aspect_ratio: '9:16',
    });
  });

  it('names an unknown flag and lists the real ones', () => {
    const err = validationOf(() => slack(VIDEO, 'a cat --speed 2'));
    expect(err.field).toBe('--speed');
    expect(err.userMessage).toContain('is not an option of /video');
    expect(err.userMessage).toContain('--aspect_ratio');
  });

  it('a flag without a value, at the end, before another flag, or as --x=, is refused', () => {
    for (const text of ['a cat --ar', 'a cat --ar --mode pro', 'a cat --cfg=']) {
      const err = validationOf(() => slack(VIDEO, text));
      expect(err.userMessage, text).toContain('needs a value');
      expect(err.field).toMatch(/^--(ar|cfg)$/);
    }
  });

  it('a flag given twice (also through two aliases) is refused', () => {
    expect(validationOf(() => slack(VIDEO, 'a cat --ar 9:16 --ar 1:1')).userMessage).toContain('is given twice');
    expect(validationOf(() => slack(VIDEO, 'a cat --neg rain --no fog')).userMessage).toContain('is given twice');
  });

  it('an empty prompt is refused, also when only flags were given', () => {
    for (const text of ['', '   ', '--ar 9:16']) {
      const err = validationOf(() => slack(VIDEO, text));
      expect(err.field).toBe('prompt');
      expect(err.userMessage).toMatch(/required/);
    }
  });

  it('2,500 prompt characters pass, 2,501 are refused with the count', () => {
    expect((slack(VIDEO, 'a'.repeat(2500)) as { prompt: string }).prompt).toHaveLength(2500);
    const err = validationOf(() => slack(VIDEO, `${'a'.repeat(2501)} --ar 9:16`));
    expect(err.field).toBe('prompt');
    expect(err.userMessage).toContain('2,500');
    expect(err.userMessage).toContain('2,501');
  });

  it('mode: standard/professional become std/pro, turbo is refused', () => {
    expect(slack(VIDEO, 'a --mode standard')['mode']).toBe('std');
    expect(slack(VIDEO, 'a --mode Professional')['mode']).toBe('pro');
    const err = validationOf(() => slack(VIDEO, 'a --mode turbo'));
    expect([err.field, err.userMessage]).toEqual(['mode', '**mode**: must be std or pro']);
  });

  it('duration: whole seconds within the sanity bounds 1–60 (as strings); 0 and 61 refused before the table is asked', () => {
    expect(slack(VIDEO, 'a --duration 5')['duration']).toBe('5');
    expect(slack(VIDEO, 'a --dur 10s')['duration']).toBe('10');
    expect(slack(VIDEO, 'a --duration 30 seconds')['duration']).toBe('30');
    expect(slack(VIDEO, 'a --duration 08')['duration']).toBe('8');
    expect(validationOf(() => slack(VIDEO, 'a --duration 0')).field).toBe('duration');
    expect(validationOf(() => slack(VIDEO, 'a --duration 2.5')).field).toBe('duration');
    expect(validationOf(() => slack(VIDEO, 'a --duration 61')).userMessage).toBe(
      '**duration**: must be a whole number of seconds from 1 to 60',
    );
  });

  it('cfg_scale: 0 is kept, 1.5 refused', () => {
    const args = slack(VIDEO, 'a --cfg 0');
    expect(args).toHaveProperty('cfg_scale', 0);
    expect(validationOf(() => slack(VIDEO, 'a --cfg 1.5')).field).toBe('cfg_scale');
    expect(validationOf(() => slack(VIDEO, 'a --cfg lots')).field).toBe('cfg_scale');
  });

  it('image n: 1..9, 0 and 10 refused', () => {
    expect(slack(IMAGE, 'a lighthouse --n 9 --ar 21:9')).toMatchObject({ n: 9, aspect_ratio: '21:9' });
    for (const n of ['0', '10', '2.5'])
      expect(validationOf(() => slack(IMAGE, `a lighthouse --n ${n}`)).field).toBe('n');
    // Any W:H passes the schema (which ratios a model takes is its row's call); anything else is refused.
    expect(slack(VIDEO, 'a --ar 21:9')).toMatchObject({ aspect_ratio: '21:9' });
    expect(validationOf(() => slack(VIDEO, 'a --ar 0:9')).field).toBe('aspect_ratio');
    expect(validationOf(() => slack(IMAGE, 'a --ar wide')).field).toBe('aspect_ratio');
  });

  it('/tasks: page_size ≤ 25, ISO dates, the four statuses, and no stray words', () => {
    expect(
      slack(
        TASKS,
        '--page-size 25 --page 2 --status succeed --since 2026-11-01 --until 2026-11-26T14:00Z --scope mine',
      ),
    ).toEqual({
      page_size: 25,
      page: 2,
      status: 'succeed',
      since: Date.parse('2026-11-01'),
      until: Date.parse('2026-11-26T14:00Z'),
      scope: 'mine',
    });
    expect(slack(TASKS, '')).toEqual({ page: 1, page_size: 10, scope: 'channel' });
    expect(validationOf(() => slack(TASKS, '--size 26')).field).toBe('page_size');
    expect(validationOf(() => slack(TASKS, '--page 0')).field).toBe('page');
    for (const since of ['yesterday', '26/11/2026', '2026-13-45'])
      expect(validationOf(() => slack(TASKS, `--since ${since}`)).field).toBe('since');
    // Strict calendar: no rolling 31 February over to 3 March, no hour 24.
    for (const since of [
      '2026-02-31',
      '2026-02-29',
      '2026-04-31',
      '2026-11-26T24:00Z',
      '2026-11-26T12:60Z',
      '2026-11-26T12:00+25:00',
    ]) {
      const err = validationOf(() => slack(TASKS, `--since ${since}`));
      expect(err.field).toBe('since');
      expect(err.userMessage).toMatch(/real ISO 8601 date.*no zone means UTC/);
    }
    expect(slack(TASKS, '--since 2028-02-29')['since']).toBe(Date.UTC(2028, 1, 29));
    // No zone = UTC, whatever the server's zone; a zone is honoured.
    expect(slack(TASKS, '--since 2026-11-26T14:00')['since']).toBe(Date.UTC(2026, 10, 26, 14));
    expect(slack(TASKS, '--since 2026-11-26T14:00+02:00')['since']).toBe(Date.UTC(2026, 10, 26, 12));
    expect(slack(TASKS, '--since 2026-11-26T14:00:05.25-0130')['since']).toBe(Date.UTC(2026, 10, 26, 15, 30, 5, 250));
    // A date-only --until includes that whole day; with a time it is that instant.
    expect(slack(TASKS, '--until 2026-11-26')['until']).toBe(Date.UTC(2026, 10, 27) - 1);
    expect(slack(TASKS, '--since 2026-11-26')['since']).toBe(Date.UTC(2026, 10, 26));
    expect(slack(TASKS, '--until 2026-11-26T00:00Z')['until']).toBe(Date.UTC(2026, 10, 26));
    for (const status of ['submitted', 'processing', 'succeed', 'failed'])
      expect(slack(TASKS, `--status ${status}`)['status']).toBe(status);
    for (const status of ['pending', 'queued', 'succeeded', 'done'])
      expect(validationOf(() => slack(TASKS, `--status ${status}`)).field).toBe('status');
    expect(validationOf(() => slack(TASKS, 'stray --page 2')).field).toBe('stray');
  });

  it('Discord typed options: flags inside the prompt are honoured, a conflicting one is named', () => {
    expect(parseArgs(VIDEO, { prompt: 'a fox --ar 9:16', mode: 'pro' })).toEqual({
      prompt: 'a fox',
      aspect_ratio: '9:16',
      mode: 'pro',
    });
    expect(parseArgs(VIDEO, { prompt: 'a fox --ar 9:16', aspect_ratio: '9:16' })).toMatchObject({
      aspect_ratio: '9:16',
    });
    expect(validationOf(() => parseArgs(VIDEO, { prompt: 'a fox --ar 9:16', aspect_ratio: '1:1' })).field).toBe(
      '--aspect_ratio',
    );
  });

  it('parseFlags keeps quoted prompt words quoted', () => {
    expect(parseFlags('a "red fox" runs --ar 9:16', ['aspect_ratio'], 'video')).toEqual({
      text: 'a "red fox" runs',
      flags: { aspect_ratio: '9:16' },
    });
  });
});

describe('/animate image rules', () => {
  it('the image must be an http(s) link', () => {
    expect(slack(ANIMATE, 'make it move --image https://example.com/cat.png')).toEqual({
      prompt: 'make it move',
      image: 'https://example.com/cat.png',
    });
    for (const image of ['notaurl', 'ftp://example.com/cat.png', 'javascript:alert(1)']) {
      const err = validationOf(() => slack(ANIMATE, `make it move --image ${image}`));
      expect(err.field).toBe('image');
      expect(err.userMessage).toContain('http(s) link');
    }
    expect(validationOf(() => slack(ANIMATE, 'make it move')).field).toBe('image');
  });

  it('an attachment must be PNG/JPEG, ≤ 10 MB, ≥ 300 px, at most 2.5:1', () => {
    const ok = {
      url: 'https://cdn.example/cat.png',
      filename: 'cat.png',
      contentType: 'image/png',
      size: 2_000_000,
      width: 1024,
      height: 768,
    };
    expect(() => checkAttachment(ok)).not.toThrow();
    expect(() => checkAttachment({ ...ok, contentType: undefined, filename: 'photo.JPG' })).not.toThrow();
    expect(() => checkAttachment({ ...ok, width: 750, height: 300 })).not.toThrow(); // exactly 2.5:1
    const cases: Array<[Partial<typeof ok>, RegExp]> = [
      [{ contentType: 'image/gif', filename: 'cat.gif' }, /PNG or JPEG/],
      [{ contentType: undefined, filename: 'cat.webp' }, /PNG or JPEG/],
      [{ size: 11 * 1024 * 1024 }, /at most 10 MB.*11\.0 MB/],
      [{ width: 200, height: 200 }, /at least 300 px/],
      [{ width: 900, height: 300 }, /2\.5 times/],
      [{ width: 300, height: 900 }, /2\.5 times/],
    ];
    for (const [change, message] of cases) {
      const err = validationOf(() => checkAttachment({ ...ok, ...change }));
      expect(err.field).toBe('image');
      expect(err.userMessage).toMatch(message);
    }
  });
});

describe('bad input through the dispatcher', () => {
  it('gets a private notice naming the field, and nothing is stored or sent to Kling', async () => {
    // An unreachable Kling: any call would show up as a provider-call metric.
    const rig = await makeCore(cleanup, { url: 'http://127.0.0.1:9' }, {}, new RecordingPort(), { start: false });
    const inv = makeInv();
    const io = makeIo(rig.port, inv);
    await rig.dispatcher.runCommand('video', `${'b'.repeat(2501)}`, inv, io);
    await rig.dispatcher.runCommand('video', 'a fox --mode turbo', inv, io);
    await rig.dispatcher.runCommand('animate', 'move --image nope', inv, io);
    expect(io.privates).toHaveLength(3);
    const texts = io.privates.map((v) => (v.kind === 'notice' ? `${v.tone}|${v.text}` : v.kind));
    expect(texts[0]).toMatch(
      /^error\|\/video: \*\*prompt\*\*: must be at most 2,500 characters \(this one has 2,501\)\. Nothing was sent to Kling\.$/,
    );
    expect(texts[1]).toContain('**mode**: must be std or pro');
    expect(texts[2]).toContain('**image**');
    expect(rig.port.events).toHaveLength(0);
    expect(
      (await pageOf(rig.core.store, { platform: 'console', guildId: 'g1', channelId: 'c1', page: 1, pageSize: 25 }))
        .total,
    ).toBe(0);
    expect(await rig.core.metrics.registry.getSingleMetricAsString('klingbot_provider_calls_total')).not.toMatch(
      /klingbot_provider_calls_total\{/,
    );
  });
});
