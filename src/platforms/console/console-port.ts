import { z } from 'zod';
import type { CardHandle, TaskScope } from '../../domain.js';
import type { PlatformPort, Written } from '../../port.js';
import { cardToText, privateToText } from '../../render/text.js';
import type { CardView, PrivateView } from '../../render/view.js';

const ConsoleHandle = z.object({ card: z.number() });

/** The terminal playground's "channel": every card write is printed as a new block of text. No limits. */
export class ConsolePort implements PlatformPort {
  readonly platform = 'console' as const;
  readonly initialRate = { limit: Infinity, windowMs: 1000 };
  private next = 1;

  constructor(
    private readonly write: (text: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  async post(_scope: TaskScope, view: CardView): Promise<Written<CardHandle>> {
    const handle = { card: this.next++ };
    this.print(handle.card, view, 'posted');
    return { value: handle };
  }

  async edit(handle: CardHandle, view: CardView): Promise<Written<undefined>> {
    this.print(ConsoleHandle.parse(handle).card, view, 'updated');
    return { value: undefined };
  }

  async delete(handle: CardHandle): Promise<Written<void>> {
    this.write(`card #${ConsoleHandle.parse(handle).card} deleted\n`);
    return { value: undefined };
  }

  async replyPrivate(_target: unknown, view: PrivateView): Promise<Written<void>> {
    this.write(`\n${privateToText(view, this.now())}\n`);
    return { value: undefined };
  }

  private print(card: number, view: CardView, verb: string): void {
    this.write(`\ncard #${card} ${verb}:\n${cardToText(view, this.now())}\n`);
  }
}
