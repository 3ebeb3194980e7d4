import { PermissionFlagsBits } from 'discord.js';

/**
 * What the bot needs in a channel (README "Discord", step 2): see it, post and edit cards, embed
 * links, upload results onto cards (Attach Files), and find a card again after a crash.
 */
export const INVITE_PERMISSIONS =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.AttachFiles |
  PermissionFlagsBits.ReadMessageHistory;

/** The link that adds the bot to a server with its commands and those permissions. */
export function inviteUrl(applicationId: string): string {
  const query = new URLSearchParams({
    client_id: applicationId,
    scope: 'bot applications.commands',
    permissions: INVITE_PERMISSIONS.toString(),
  });
  return `https://discord.com/oauth2/authorize?${query.toString().replace(/\+/g, '%20')}`;
}
