import { GuildMember, PermissionFlagsBits, type AutocompleteInteraction } from 'discord.js';
import type { Invocation } from '../../invocation.js';
import type { DiscordInteraction } from './handles.js';

/** DISCORD_ADMIN_PERMISSION: which permission makes a member an admin of the bot (README, Configuration). */
export type AdminPermission = 'administrator' | 'manage_guild' | 'none';

const ADMIN_FLAGS: Record<AdminPermission, readonly bigint[]> = {
  // Administrator implies every permission, Manage Server included: either opt-in admits it.
  administrator: [PermissionFlagsBits.Administrator],
  manage_guild: [PermissionFlagsBits.Administrator, PermissionFlagsBits.ManageGuild],
  none: [],
};

/** Who clicked or typed, in the core's terms. `isAdmin`: the member holds the permission the operator chose. */
export function invocationOf(
  interaction: DiscordInteraction | AutocompleteInteraction,
  adminPermission: AdminPermission,
): Invocation {
  const guildId = interaction.guildId ?? '';
  const member = interaction.member;
  const roleIds =
    member instanceof GuildMember
      ? [...member.roles.cache.keys()].filter((id) => id !== guildId)
      : Array.isArray(member?.roles)
        ? [...member.roles]
        : [];
  const name = member instanceof GuildMember ? member.displayName : (member?.nick ?? interaction.user.displayName);
  const perms = interaction.memberPermissions;
  return {
    platform: 'discord',
    guildId,
    channelId: interaction.channelId ?? '',
    user: {
      id: interaction.user.id,
      name,
      roleIds,
      // checkAdmin false: has(Administrator-implies-all) must not turn Manage Server into Administrator.
      isAdmin: Boolean(perms && ADMIN_FLAGS[adminPermission].some((flag) => perms.has(flag, false))),
    },
    // Discord's interaction id: the same on every connection it is delivered to.
    requestKey: `discord:${interaction.id}`,
  };
}
