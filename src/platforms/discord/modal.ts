import {
  LabelBuilder,
  ModalBuilder,
  TextInputBuilder,
  TextInputStyle,
  type APIModalInteractionResponseCallbackData,
  type ModalSubmitInteraction,
} from 'discord.js';
import type { ModalView } from '../../modals.js';

/** A neutral form as Discord's modal (response type 9): one Label around each Text Input. */
export function discordModal(view: ModalView): APIModalInteractionResponseCallbackData {
  const modal = new ModalBuilder().setCustomId(view.id).setTitle(view.title);
  for (const input of view.inputs) {
    const text = new TextInputBuilder()
      .setCustomId(input.id)
      .setStyle(input.style === 'paragraph' ? TextInputStyle.Paragraph : TextInputStyle.Short)
      .setMaxLength(input.maxLength)
      .setRequired(true);
    if (input.minLength !== undefined) text.setMinLength(input.minLength);
    if (input.placeholder) text.setPlaceholder(input.placeholder.slice(0, 100));
    modal.addLabelComponents(new LabelBuilder().setLabel(input.label).setTextInputComponent(text));
  }
  return modal.toJSON();
}

/** The typed text of each input of a submitted modal, by input id. */
export function submittedValues(interaction: ModalSubmitInteraction): Record<string, string> {
  const values: Record<string, string> = {};
  for (const field of interaction.fields.fields.values())
    if ('value' in field && typeof field.value === 'string') values[field.customId] = field.value;
  return values;
}
