/** The fake's world: guilds, channels, users, messages, interactions, commands, and their API shapes. */
import { randomBytes } from 'node:crypto';
import { Errors, Issues } from './errors.js';
import { isRecord, type JsonObject } from './json.js';
import { snowflake, snowflakeTimestamp } from './snowflake.js';
import type {
  AttachmentRecord,
  CommandRegistration,
  FakeDiscordOptions,
  FakeUser,
  InteractionRecord,
  MessageRecord,
} from './types.js';
import { MessageFlag, type MessageInput } from './validate-message.js';
import { checkAttachmentRefs, validateV2Media } from './validate-media.js';

export const Perm = {
  CreateInstantInvite: 1n << 0n,
  Administrator: 1n << 3n,
  AddReactions: 1n << 6n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  EmbedLinks: 1n << 14n,
  AttachFiles: 1n << 15n,
  ReadMessageHistory: 1n << 16n,
  UseExternalEmojis: 1n << 18n,
  Connect: 1n << 20n,
  Speak: 1n << 21n,
  ChangeNickname: 1n << 26n,
  UseApplicationCommands: 1n << 31n,
  CreatePublicThreads: 1n << 35n,
  UseExternalStickers: 1n << 37n,
  SendMessagesInThreads: 1n << 38n,
} as const;

const ALL_PERMISSIONS = (1n << 53n) - 1n;

export const EVERYONE_PERMISSIONS =
  Perm.CreateInstantInvite |
  Perm.AddReactions |
  Perm.ViewChannel |
  Perm.SendMessages |
  Perm.EmbedLinks |
  Perm.AttachFiles |
  Perm.ReadMessageHistory |
  Perm.UseExternalEmojis |
  Perm.Connect |
  Perm.Speak |
  Perm.ChangeNickname |
  Perm.UseApplicationCommands |
  Perm.CreatePublicThreads |
  Perm.UseExternalStickers |
  Perm.SendMessagesInThreads;

export const BOT_ROLE_PERMISSIONS =
  Perm.ViewChannel |
  Perm.SendMessages |
  Perm.EmbedLinks |
  Perm.AttachFiles |
  Perm.ReadMessageHistory |
  Perm.AddReactions |
  Perm.UseApplicationCommands |
  Perm.SendMessagesInThreads;

/** 10 MiB: attachment_size_limit for guilds without boosts. */
export const ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024;

export interface RoleState {
  id: string;
  name: string;
  permissions: bigint;
  position: number;
  managed: boolean;
  botId?: string;
}

export interface ChannelState {
  id: string;
  guildId: string;
  name: string;
  position: number;
  lastMessageId: string | null;
  /** The bot lost access (driver: denyChannelAccess) → bot-token channel routes answer 50001. */
  denied: boolean;
}

export interface GuildState {
  id: string;
  name: string;
  ownerId: string;
  joinedAt: string;
  channels: ChannelState[];
  roles: RoleState[];
  botRoleId: string;
  members: Map<string, JsonObject>;
}

export interface UploadedFile {
  /** form field name, e.g. files[0] */
  field: string;
  /** n of files[n] — what attachments[].id refers to. */
  index: string | null;
  filename: string;
  contentType: string;
  size: number;
}

interface MessageMeta {
  author: JsonObject;
  webhookId?: string;
  applicationId?: string;
  interactionMetadata?: JsonObject;
  interactionLegacy?: JsonObject;
  reference?: JsonObject;
}

export interface InteractionState {
  record: InteractionRecord;
  kind: 'command' | 'component' | 'autocomplete' | 'modal';
  user: JsonObject;
  commandName?: string;
  clickedMessageId?: string;
  acked: boolean;
  /** Message ids this interaction's webhook created (follow-ups). */
  followups: Set<string>;
}

export interface StoredCommand {
  scope: string;
  json: JsonObject;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}

function cdnQuery(): string {
  const now = Math.floor(Date.now() / 1000);
  return `ex=${(now + 86_400).toString(16)}&is=${now.toString(16)}&hm=${randomBytes(32).toString('hex')}&`;
}

export function interactionToken(id: string): string {
  const head = Buffer.from(`interaction:${id}:`).toString('base64url');
  return `${head}${randomBytes(96).toString('base64url')}`;
}

export class World {
  readonly botUserId: string;
  readonly botUsername: string;
  readonly applicationId: string;
  /** GET /applications/@me `bot_public` (the portal's *Public Bot*). */
  botPublic: boolean;
  readonly guilds = new Map<string, GuildState>();
  readonly channels = new Map<string, ChannelState>();
  readonly messages = new Map<string, MessageRecord>();
  private readonly meta = new Map<string, MessageMeta>();
  readonly interactions: InteractionRecord[] = [];
  readonly interactionById = new Map<string, InteractionState>();
  readonly interactionByToken = new Map<string, InteractionState>();
  /** scope ('global' or guild id) → commands */
  readonly commands = new Map<string, JsonObject[]>();
  readonly commandRegistrations: CommandRegistration[] = [];
  private readonly nonces = new Map<string, { messageId: string; at: number }>();

  /** The per-file upload cap (413 / 40005 above it), as sent in every interaction's attachment_size_limit. */
  get attachmentSizeLimit(): number {
    return this.opts.attachmentSizeLimit ?? ATTACHMENT_SIZE_LIMIT;
  }

  constructor(readonly opts: FakeDiscordOptions) {
    this.applicationId = opts.applicationId;
    this.botUserId = opts.botUserId ?? opts.applicationId;
    this.botUsername = opts.botUsername ?? 'kling-bot';
    this.botPublic = opts.botPublic ?? true;
    let position = 0;
    for (const g of opts.guilds) {
      if (this.guilds.has(g.id)) throw new Error(`duplicate guild ${g.id}`);
      const botRoleId = snowflake(snowflakeTimestamp(g.id) + 1000);
      const guild: GuildState = {
        id: g.id,
        name: g.name ?? `guild-${g.id.slice(-4)}`,
        ownerId: snowflake(snowflakeTimestamp(g.id)),
        joinedAt: iso(Date.now() - 86_400_000),
        channels: [],
        roles: [
          { id: g.id, name: '@everyone', permissions: EVERYONE_PERMISSIONS, position: 0, managed: false },
          ...(g.roles ?? []).map((id, i) => ({
            id,
            name: `role-${id.slice(-4)}`,
            permissions: 0n,
            position: i + 1,
            managed: false,
          })),
          {
            id: botRoleId,
            name: this.botUsername,
            permissions: BOT_ROLE_PERMISSIONS,
            position: (g.roles?.length ?? 0) + 1,
            managed: true,
            botId: this.botUserId,
          },
        ],
        botRoleId,
        members: new Map(),
      };
      for (const cid of g.channels) {
        if (this.channels.has(cid)) throw new Error(`duplicate channel ${cid}`);
        const ch: ChannelState = {
          id: cid,
          guildId: g.id,
          name: `channel-${cid.slice(-4)}`,
          position: position++,
          lastMessageId: null,
          denied: false,
        };
        guild.channels.push(ch);
        this.channels.set(cid, ch);
      }
      this.guilds.set(g.id, guild);
    }
  }

  // ---------- API object builders ----------

  botUser(extra = false): JsonObject {
    const u: JsonObject = {
      id: this.botUserId,
      username: this.botUsername,
      global_name: null,
      discriminator: String(Number(BigInt(this.botUserId) % 9000n) + 1000),
      avatar: null,
      bot: true,
      public_flags: 0,
      flags: 0,
      banner: null,
      accent_color: null,
      avatar_decoration_data: null,
      collectibles: null,
      primary_guild: null,
      clan: null,
    };
    if (extra) Object.assign(u, { verified: true, mfa_enabled: false, email: null, locale: 'en-US', premium_type: 0 });
    return u;
  }

  userObject(u: FakeUser): JsonObject {
    const username = u.username ?? `user${u.id.slice(-4)}`;
    return {
      id: u.id,
      username,
      global_name: username,
      discriminator: '0',
      avatar: null,
      public_flags: 0,
      flags: 0,
      banner: null,
      accent_color: null,
      avatar_decoration_data: null,
      collectibles: null,
      display_name_styles: null,
      primary_guild: null,
      clan: null,
    };
  }

  memberObject(_guild: GuildState, user: JsonObject, roles: string[], joinedAt: string): JsonObject {
    return {
      user,
      roles,
      nick: null,
      avatar: null,
      banner: null,
      premium_since: null,
      joined_at: joinedAt,
      deaf: false,
      mute: false,
      pending: false,
      flags: 0,
      communication_disabled_until: null,
      unusual_dm_activity_until: null,
    };
  }

  botMember(guild: GuildState): JsonObject {
    return this.memberObject(guild, this.botUser(), [guild.botRoleId], guild.joinedAt);
  }

  roleObject(r: RoleState): JsonObject {
    return {
      id: r.id,
      name: r.name,
      description: null,
      color: 0,
      colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
      hoist: false,
      icon: null,
      unicode_emoji: null,
      position: r.position,
      permissions: r.permissions.toString(),
      managed: r.managed,
      mentionable: false,
      flags: 0,
      ...(r.botId ? { tags: { bot_id: r.botId } } : {}),
    };
  }

  channelObject(ch: ChannelState, withGuildId = true): JsonObject {
    return {
      id: ch.id,
      type: 0,
      ...(withGuildId ? { guild_id: ch.guildId } : {}),
      name: ch.name,
      position: ch.position,
      flags: 0,
      parent_id: null,
      topic: null,
      nsfw: false,
      last_message_id: ch.lastMessageId,
      rate_limit_per_user: 0,
      permission_overwrites: ch.denied
        ? [
            {
              id: this.guilds.get(ch.guildId)?.botRoleId ?? ch.guildId,
              type: 0,
              allow: '0',
              deny: String(Perm.ViewChannel),
            },
          ]
        : [],
      icon_emoji: null,
      theme_color: null,
      version: String(snowflakeTimestamp(ch.guildId)),
    };
  }

  guildObject(g: GuildState): JsonObject {
    return {
      id: g.id,
      name: g.name,
      icon: null,
      description: null,
      home_header: null,
      splash: null,
      discovery_splash: null,
      features: [],
      banner: null,
      owner_id: g.ownerId,
      application_id: null,
      region: 'deprecated',
      afk_channel_id: null,
      afk_timeout: 300,
      system_channel_id: g.channels[0]?.id ?? null,
      system_channel_flags: 0,
      widget_enabled: false,
      widget_channel_id: null,
      verification_level: 0,
      roles: g.roles.map((r) => this.roleObject(r)),
      default_message_notifications: 0,
      mfa_level: 0,
      explicit_content_filter: 0,
      max_presences: null,
      max_members: 500_000,
      max_stage_video_channel_users: 50,
      max_video_channel_users: 25,
      vanity_url_code: null,
      premium_tier: 0,
      premium_subscription_count: 0,
      preferred_locale: 'en-US',
      rules_channel_id: null,
      safety_alerts_channel_id: null,
      public_updates_channel_id: null,
      hub_type: null,
      premium_progress_bar_enabled: false,
      latest_onboarding_question_id: null,
      nsfw: false,
      nsfw_level: 0,
      emojis: [],
      stickers: [],
      incidents_data: null,
      inventory_settings: null,
      embed_enabled: false,
      embed_channel_id: null,
    };
  }

  /** GUILD_CREATE for a bot with the GUILDS intent (members: just the bot itself, as Discord sends). */
  guildCreate(g: GuildState): JsonObject {
    return {
      ...this.guildObject(g),
      joined_at: g.joinedAt,
      large: false,
      unavailable: false,
      lazy: true,
      member_count: 2 + g.members.size,
      voice_states: [],
      members: [this.botMember(g)],
      channels: g.channels.map((c) => this.channelObject(c, false)),
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
      embedded_activities: [],
      activity_instances: [],
      application_command_counts: {},
      version: Date.now(),
    };
  }

  appPermissions(guild: GuildState): bigint {
    const everyone = guild.roles.find((r) => r.id === guild.id)?.permissions ?? 0n;
    const bot = guild.roles.find((r) => r.id === guild.botRoleId)?.permissions ?? 0n;
    return everyone | bot;
  }

  memberPermissions(guild: GuildState, user: FakeUser): bigint {
    if (user.permissions !== undefined) {
      if (!/^\d+$/.test(user.permissions))
        throw new Error(`user.permissions must be a decimal bitfield string, got ${user.permissions}`);
      return BigInt(user.permissions);
    }
    let p = guild.roles.find((r) => r.id === guild.id)?.permissions ?? 0n;
    for (const rid of user.roles ?? []) p |= guild.roles.find((r) => r.id === rid)?.permissions ?? 0n;
    if (user.id === guild.ownerId || (p & Perm.Administrator) !== 0n) p = ALL_PERMISSIONS;
    return p;
  }

  attachmentObject(a: AttachmentRecord, ephemeral: boolean): JsonObject {
    return {
      id: a.id,
      filename: a.filename,
      size: a.size,
      url: a.url,
      proxy_url: a.proxyUrl,
      ...(a.contentType ? { content_type: a.contentType } : {}),
      ...(a.description !== undefined ? { description: a.description } : {}),
      ...(a.width !== undefined ? { width: a.width, height: a.height ?? a.width } : {}),
      ...(ephemeral ? { ephemeral: true } : {}),
      content_scan_version: 2,
      placeholder_version: 1,
      flags: 0,
    };
  }

  messageObject(m: MessageRecord, opts: { gateway?: boolean; depth?: number } = {}): JsonObject {
    const meta = this.meta.get(m.id);
    const ephemeral = (m.flags & MessageFlag.Ephemeral) !== 0;
    const out: JsonObject = {
      type: m.type,
      content: m.content,
      mentions: [],
      mention_roles: [],
      attachments: m.attachments.map((a) => this.attachmentObject(a, ephemeral)),
      embeds: m.embeds,
      timestamp: iso(m.createdAt),
      edited_timestamp: m.editedAt === null ? null : iso(m.editedAt),
      flags: m.flags,
      components: m.components,
      id: m.id,
      channel_id: m.channelId,
      author: meta?.author ?? this.botUser(),
      pinned: false,
      mention_everyone: false,
      tts: m.tts,
    };
    if (meta?.webhookId) out.webhook_id = meta.webhookId;
    if (meta?.applicationId) out.application_id = meta.applicationId;
    if (meta?.interactionMetadata) out.interaction_metadata = meta.interactionMetadata;
    if (meta?.interactionLegacy) out.interaction = meta.interactionLegacy;
    if (m.nonce !== undefined) out.nonce = m.nonce;
    if (meta?.reference) {
      out.message_reference = meta.reference;
      const refId = meta.reference.message_id;
      const ref = typeof refId === 'string' ? this.messages.get(refId) : undefined;
      out.referenced_message =
        ref && !ref.deleted && (opts.depth ?? 0) < 1 ? this.messageObject(ref, { depth: (opts.depth ?? 0) + 1 }) : null;
    }
    if (opts.gateway && m.guildId) {
      const guild = this.guilds.get(m.guildId);
      out.guild_id = m.guildId;
      if (guild) {
        const member = this.botMember(guild);
        delete member.user;
        out.member = member;
      }
    }
    return out;
  }

  // ---------- messages ----------

  setMeta(id: string, meta: MessageMeta): void {
    this.meta.set(id, meta);
  }

  getMeta(id: string): MessageMeta | undefined {
    return this.meta.get(id);
  }

  nonceHit(channelId: string, nonce: string | number, now: number): MessageRecord | undefined {
    const hit = this.nonces.get(`${channelId}:${String(nonce)}`);
    if (!hit || now - hit.at > 5 * 60_000) return undefined;
    return this.messages.get(hit.messageId);
  }

  rememberNonce(channelId: string, nonce: string | number, messageId: string, now: number): void {
    this.nonces.set(`${channelId}:${String(nonce)}`, { messageId, at: now });
  }

  private attachmentFromFile(
    channelId: string,
    file: UploadedFile,
    description?: string,
    filename?: string,
  ): AttachmentRecord {
    const id = snowflake();
    const name = (filename ?? file.filename).replace(/[^\w.-]/g, '_');
    const image = /^(image|video)\//.test(file.contentType);
    return {
      id,
      filename: name,
      size: file.size,
      contentType: file.contentType || null,
      url: `https://cdn.discordapp.com/attachments/${channelId}/${id}/${name}?${cdnQuery()}`,
      proxyUrl: `https://media.discordapp.net/attachments/${channelId}/${id}/${name}?${cdnQuery()}`,
      ...(description !== undefined ? { description } : {}),
      ...(image ? { width: 1280, height: 720 } : {}),
    };
  }

  /**
   * Computes the message state after applying `input` (create: from an empty message). Throws 50035/50006
   * without mutating anything if the result is invalid; otherwise returns the new fields.
   */
  resolveContent(
    current: Pick<MessageRecord, 'content' | 'embeds' | 'components' | 'attachments' | 'flags' | 'channelId'>,
    input: MessageInput,
    files: UploadedFile[],
    mode: 'create' | 'edit',
    allowedCreateFlags: number,
    errorPrefix: ReadonlyArray<string>,
  ): Pick<MessageRecord, 'content' | 'embeds' | 'components' | 'attachments' | 'flags'> {
    const issues = new Issues();
    for (const f of files) if (f.size > this.attachmentSizeLimit) throw Errors.tooLarge();
    const byIndex = new Map(files.filter((f) => f.index !== null).map((f) => [f.index, f] as const));
    const used = new Set<UploadedFile>();
    let attachments: AttachmentRecord[];
    if (input.attachments !== undefined) {
      attachments = [];
      input.attachments.forEach((ref, i) => {
        const file = byIndex.get(ref.id);
        if (file) {
          used.add(file);
          attachments.push(this.attachmentFromFile(current.channelId, file, ref.description, ref.filename));
          return;
        }
        const existing = mode === 'edit' ? current.attachments.find((a) => a.id === ref.id) : undefined;
        if (existing) attachments.push(existing);
        else issues.add(['attachments', i, 'id'], 'ATTACHMENT_NOT_FOUND', `Unknown attachment id ${ref.id}`);
      });
    } else {
      attachments = mode === 'edit' ? [...current.attachments] : [];
    }
    for (const f of files) if (!used.has(f)) attachments.push(this.attachmentFromFile(current.channelId, f));
    if (attachments.length > 10) issues.add(['attachments'], 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.');
    issues.throwIfAny(errorPrefix);

    let flags = current.flags;
    if (mode === 'create') {
      flags = (input.flags ?? 0) & allowedCreateFlags;
    } else if (input.flags !== undefined) {
      const editable = MessageFlag.SuppressEmbeds;
      flags = (flags & ~editable) | (input.flags & editable);
      if (input.flags & MessageFlag.IsComponentsV2) flags |= MessageFlag.IsComponentsV2;
      if (current.flags & MessageFlag.IsComponentsV2 && !(input.flags & MessageFlag.IsComponentsV2)) {
        const i2 = new Issues();
        i2.add(
          ['flags'],
          'MESSAGE_CANNOT_REMOVE_COMPONENTS_V2_FLAG',
          'Cannot remove the IS_COMPONENTS_V2 flag from a message',
        );
        i2.throwIfAny(errorPrefix);
      }
    }
    const next = {
      content: input.content ?? (mode === 'edit' ? current.content : ''),
      embeds: input.embeds ?? (mode === 'edit' ? current.embeds : []),
      components: input.components ?? (mode === 'edit' ? current.components : []),
      attachments,
      flags: flags & ~MessageFlag.Loading,
    };
    const empty =
      next.content.trim() === '' &&
      next.embeds.length === 0 &&
      next.components.length === 0 &&
      next.attachments.length === 0 &&
      !input.hasPoll &&
      !input.hasStickers;
    if (empty) throw Errors.emptyMessage();
    if (next.flags & MessageFlag.IsComponentsV2) {
      // Media components: 1–10 gallery items, and attachment:// only for files this message has.
      const media = new Issues();
      const refs = validateV2Media(media, next.components);
      checkAttachmentRefs(media, refs, new Set(next.attachments.map((a) => a.filename)));
      media.throwIfAny(errorPrefix);
    }
    return next;
  }

  createMessage(
    rec: Omit<MessageRecord, 'edits' | 'deleted' | 'editedAt' | 'id'> & { id?: string },
    meta: MessageMeta,
  ): MessageRecord {
    const m: MessageRecord = {
      ...rec,
      id: rec.id ?? snowflake(rec.createdAt),
      editedAt: null,
      edits: [],
      deleted: false,
    };
    this.messages.set(m.id, m);
    this.meta.set(m.id, meta);
    const ch = this.channels.get(m.channelId);
    if (ch && !(m.flags & MessageFlag.Ephemeral)) ch.lastMessageId = m.id;
    return m;
  }

  messagesIn(channelId: string): MessageRecord[] {
    return [...this.messages.values()].filter((m) => m.channelId === channelId);
  }

  // ---------- commands ----------

  findCommand(guildId: string, name: string, type = 1): JsonObject | undefined {
    const match = (c: JsonObject): boolean => c.name === name && (c.type ?? 1) === type;
    return this.commands.get(guildId)?.find(match) ?? this.commands.get('global')?.find(match);
  }

  storeCommands(scope: string, defs: JsonObject[], replace: boolean): JsonObject[] {
    const prev = this.commands.get(scope) ?? [];
    const out: JsonObject[] = [];
    const stored = defs.map((d) => {
      const existing = prev.find((c) => c.name === d.name && c.type === d.type);
      const cmd: JsonObject = {
        id: typeof existing?.id === 'string' ? existing.id : snowflake(),
        application_id: this.applicationId,
        version: snowflake(),
        default_member_permissions:
          typeof d.default_member_permissions === 'string' ? d.default_member_permissions : null,
        type: d.type ?? 1,
        name: d.name ?? '',
        name_localizations: isRecord(d.name_localizations) ? d.name_localizations : null,
        description: typeof d.description === 'string' ? d.description : '',
        description_localizations: isRecord(d.description_localizations) ? d.description_localizations : null,
        ...(scope === 'global' ? { dm_permission: d.dm_permission !== false } : { guild_id: scope }),
        contexts: Array.isArray(d.contexts) ? d.contexts : null,
        integration_types: Array.isArray(d.integration_types) ? d.integration_types : [0],
        nsfw: d.nsfw === true,
        ...(Array.isArray(d.options) ? { options: d.options } : {}),
      };
      out.push(cmd);
      return cmd;
    });
    if (replace) this.commands.set(scope, stored);
    else {
      const rest = prev.filter((c) => !stored.some((s) => s.name === c.name && s.type === c.type));
      this.commands.set(scope, [...rest, ...stored]);
    }
    return out;
  }

  // ---------- interactions ----------

  registerInteraction(state: InteractionState): void {
    this.interactions.push(state.record);
    this.interactionById.set(state.record.id, state);
    this.interactionByToken.set(state.record.token, state);
  }
}
