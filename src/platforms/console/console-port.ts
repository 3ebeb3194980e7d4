import { z } from 'zod';
import type { CardHandle, TaskScope } from '../../domain.js';
import type { CardPort } from '../../port.js';
import { cardToText } from '../../render/text.js';
import type { CardView } from '../../render/view.js';

const ConsoleHandle = z.object({ card: z.number() });

/** The terminal playground's "channel": every card edit is printed as a new block of text. */
export class ConsolePort implements CardPort {
  readonly platform = 'console' as const;
  readonly editBudget = { capacity: 5, refillPerSec: 5 };
  private next = 1;

  constructor(
    private readonly write: (text: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  open(view: CardView): CardHandle {
    const handle = { card: this.next++ };
    this.print(handle.card, view, 'posted');
    return handle;
  }

  async editCard(handle: CardHandle, view: CardView): Promise<void> {
    this.print(ConsoleHandle.parse(handle).card, view, 'updated');
  }

  async postCard(_scope: TaskScope, view: CardView): Promise<CardHandle> {
    return this.open(view);
  }

  async deleteCard(handle: CardHandle): Promise<void> {
    this.write(`card #${ConsoleHandle.parse(handle).card} deleted\n`);
  }

  private print(card: number, view: CardView, verb: string): void {
    this.write(`\ncard #${card} ${verb}:\n${cardToText(view, this.now())}\n`);
  }
}
