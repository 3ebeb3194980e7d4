import { ValidationError } from '../src/errors.js';

/** Short and habitual flag names (Midjourney's --ar and --no among them) → option names. */
const ALIASES: Record<string, string> = {
  ar: 'aspect_ratio',
  aspect: 'aspect_ratio',
  'aspect-ratio': 'aspect_ratio',
  neg: 'negative_prompt',
  no: 'negative_prompt',
  negative: 'negative_prompt',
  'negative-prompt': 'negative_prompt',
  cfg: 'cfg_scale',
  'cfg-scale': 'cfg_scale',
  dur: 'duration',
  res: 'resolution',
  end: 'end_image',
  'end-frame': 'end_image',
  tail: 'end_image',
  audio: 'sound',
  'page-size': 'page_size',
  size: 'page_size',
};

export const canonicalFlag = (name: string) => ALIASES[name.toLowerCase()] ?? name.toLowerCase().replace(/-/g, '_');

/** One word of a command's text; `lineStart`: a line break comes before it (a storyboard's shots are lines). */
export interface Token {
  text: string;
  quoted: boolean;
  lineStart?: true;
}

/** Splits on spaces, keeping "quoted text" (straight or curly quotes) together, and noting line breaks. */
export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let end = 0;
  // `--neg="low quality"` first, so a quoted value after `=` stays one token.
  const re =
    /((?:--|\u2014)[a-zA-Z][\w-]*=)(?:"([^"]*)"|\u201c([^\u201d]*)\u201d|'([^']*)')|"([^"]*)"|\u201c([^\u201d]*)\u201d|'([^']*)'|(\S+)/g;
  for (const m of input.matchAll(re)) {
    const lineStart = tokens.length > 0 && input.slice(end, m.index).includes('\n') ? { lineStart: true as const } : {};
    end = m.index + m[0].length;
    if (m[1] !== undefined) {
      tokens.push({ text: m[1] + (m[2] ?? m[3] ?? m[4] ?? ''), quoted: false, ...lineStart });
      continue;
    }
    const quoted = m[5] ?? m[6] ?? m[7];
    tokens.push({
      ...(quoted !== undefined ? { text: quoted, quoted: true } : { text: m[8] ?? '', quoted: false }),
      ...lineStart,
    });
  }
  return tokens;
}

export interface FlagParse {
  /** Words that belong to no flag, in order (the prompt), the text's line breaks kept. */
  text: string;
  flags: Record<string, string>;
}

/** The one flag a command lets repeat (`/video --image A --image B`): its values fill `options` in order. */
export interface RepeatableFlag {
  flag: string;
  options: readonly string[];
}

/**
 * `a cat surfing --ar 9:16 --duration 10 --neg "blurry"` → text + flags. A flag without a value
 * or given twice (but the command's one repeatable flag), or one the command does not have, is a
 * ValidationError naming it.
 */
export function parseFlags(
  input: string,
  known: readonly string[],
  command: string,
  repeatable?: RepeatableFlag,
): FlagParse {
  let text = '';
  // A flag at the start of a line hands its line break to the next word.
  let lineBreak = false;
  const flags: Record<string, string> = {};
  const repeated: string[] = [];
  const tokens = tokenize(input);
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    if (!tok) continue;
    const m = tok.quoted ? null : /^(?:--|\u2014)([a-zA-Z][\w-]*)(?:=(.*))?$/.exec(tok.text);
    lineBreak ||= tok.lineStart === true;
    if (!m) {
      text += (text === '' ? '' : lineBreak ? '\n' : ' ') + (tok.quoted ? `"${tok.text}"` : tok.text);
      lineBreak = false;
      continue;
    }
    const raw = m[1] ?? '';
    const name = canonicalFlag(raw);
    const repeats = repeatable?.flag === name;
    if (!known.includes(name) && !repeats) {
      const list = known.map((k) => `--${k}`).join(', ');
      throw new ValidationError(`--${raw}`, `is not an option of /${command}${list ? ` (options: ${list})` : ''}`);
    }
    let value = m[2];
    if (value === '') throw new ValidationError(`--${raw}`, 'needs a value');
    if (value === undefined) {
      const next = tokens[i + 1];
      if (!next || (!next.quoted && /^(--|\u2014)[a-zA-Z]/.test(next.text)))
        throw new ValidationError(`--${raw}`, 'needs a value');
      value = next.text;
      i++;
    }
    if (repeats) {
      repeated.push(value);
      continue;
    }
    if (name in flags) throw new ValidationError(`--${raw}`, 'is given twice');
    flags[name] = value;
  }
  if (repeatable && repeated.length > repeatable.options.length)
    throw new ValidationError(
      `--${repeatable.flag}`,
      `is given ${repeated.length} times: /${command} takes at most ${repeatable.options.length}`,
    );
  repeated.forEach((value, i) => {
    const option = repeatable?.options[i] ?? '';
    if (option in flags) throw new ValidationError(`--${option}`, `is also given as --${repeatable?.flag}`);
    flags[option] = value;
  });
  return { text: text.trim(), flags };
}
