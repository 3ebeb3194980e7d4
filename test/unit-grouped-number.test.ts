import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupedNumber } from '../src/render/format.js';

const ROOT = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('groupedNumber', () => {
  it.each([0, 7, 999, 1000, 2500, 12_345, 100_000, 1_234_567, -1, -1000, -987_654_321, Number.MAX_SAFE_INTEGER])(
    'GIVEN %d THEN it reads as en-US toLocaleString does',
    (n) => {
      expect(groupedNumber(n)).toBe(n.toLocaleString('en-US'));
    },
  );

  it('GIVEN a fraction or a non-finite number THEN it is shown as it is', () => {
    expect(groupedNumber(1.5)).toBe('1.5');
    expect(groupedNumber(Number.NaN)).toBe('NaN');
  });
});

describe('the running bot never opens ICU locale data', () => {
  // The first toLocaleString/Intl call keeps ~4.5 MB of the node binary's ICU data resident (RSS at rest).
  it('GIVEN src/ and commands/ THEN no code calls toLocaleString, localeCompare or Intl', () => {
    const offenders = [...sources('src'), ...sources('commands')].filter((file) =>
      /\.toLocale\w*String\(|\.localeCompare\(|\bIntl\./.test(
        readFileSync(file, 'utf8').replace(/^\s*(\/\/|\*).*$/gm, ''),
      ),
    );
    expect(offenders).toEqual([]);
  });
});
