import { describe, expect, it } from 'vitest';
import { klingCopyUntil } from '../src/render/follow-ups.js';
import type { CardView } from '../src/render/view.js';

const button = (action: CardView['buttons'][number]['action']) => ({
  action,
  label: action,
  style: 'secondary' as const,
});
const common = [button('regenerate'), button('refresh'), button('delete')];

describe('what a hosted card says lives until Kling deletes its copy', () => {
  it('GIVEN Extend and Edit on the card THEN both are named', () => {
    expect(klingCopyUntil([...common, button('extend'), button('edit')])).toBe('Extend and Edit work until');
  });
  it('GIVEN only one of them THEN only that one (an omni or storyboard card offers Edit, never Extend)', () => {
    expect(klingCopyUntil([...common, button('edit')])).toBe('Edit works until');
    expect(klingCopyUntil([...common, button('extend')])).toBe('Extend works until');
  });
  it('GIVEN neither THEN no follow-up is promised', () => {
    expect(klingCopyUntil(common)).toBe("Kling's own copy is kept until");
  });
});
