/** Builds realistic INTERACTION_CREATE payloads (slash commands, button clicks). */
import { isInt, isRecord, type JsonObject } from './json.js';
import { snowflake } from './snowflake.js';
import {
  ATTACHMENT_SIZE_LIMIT,
  interactionToken,
  Perm,
  type ChannelState,
  type GuildState,
  type InteractionState,
  type World,
} from './state.js';
import type {
  AttachmentInput,
  ClickButtonInput,
  CommandOptionInput,
  FakeUser,
  SendAutocompleteInput,
  SendCommandInput,
  SubmitModalInput,
} from './types.js';
import { modalSubmitData } from './modal.js';
import { MessageFlag, walkComponents } from './validate-message.js';

function fail(msg: string): never {
  throw new Error(`[fake-discord] ${msg}`);
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}

interface Base {
  guild: GuildState;
  channel: ChannelState;
  user: JsonObject;
  member: JsonObject;
  memberPermissions: bigint;
}

function base(world: World, guildId: string, channelId: string, u: FakeUser): Base {
  const guild = world.guilds.get(guildId) ?? fail(`unknown guild ${guildId}`);
  const channel =
    guild.channels.find((c) => c.id === channelId) ?? fail(`channel ${channelId} is not in guild ${guildId}`);
  for (const rid of u.roles ?? []) {
    if (!guild.roles.some((r) => r.id === rid && !r.managed && r.id !== guild.id))
      fail(`role ${rid} does not exist in guild ${guildId}`);
  }
  if (!/^\d{17,20}$/.test(u.id)) fail(`user id must be a snowflake, got ${u.id}`);
  const user = world.userObject(u);
  const known = guild.members.get(u.id);
  const joinedAt = typeof known?.joined_at === 'string' ? known.joined_at : iso(Date.now() - 30 * 86_400_000);
  const member = world.memberObject(guild, user, u.roles ?? [], joinedAt);
  guild.members.set(u.id, member);
  return { guild, channel, user, member, memberPermissions: world.memberPermissions(guild, u) };
}

function common(world: World, b: Base, id: string, token: string, type: number, locale: string): JsonObject {
  const channel = world.channelObject(b.channel);
  delete channel.permission_overwrites;
  delete channel.version;
  return {
    app_permissions: world.appPermissions(b.guild).toString(),
    application_id: world.applicationId,
    attachment_size_limit: world.attachmentSizeLimit,
    authorizing_integration_owners: { '0': b.guild.id },
    channel: { ...channel, permissions: b.memberPermissions.toString() },
    channel_id: b.channel.id,
    context: 0,
    entitlement_sku_ids: [],
    entitlements: [],
    guild: { features: [], id: b.guild.id, locale: 'en-US' },
    guild_id: b.guild.id,
    guild_locale: 'en-US',
    id,
    locale,
    member: { ...b.member, permissions: b.memberPermissions.toString() },
    token,
    type,
    version: 1,
  };
}

function newState(
  b: Base,
  payload: JsonObject,
  kind: InteractionState['kind'],
  extra: Partial<InteractionState['record']>,
): InteractionState {
  const id = typeof payload.id === 'string' ? payload.id : fail('no id');
  const token = typeof payload.token === 'string' ? payload.token : fail('no token');
  return {
    record: {
      id,
      token,
      type: { command: 2, component: 3, autocomplete: 4, modal: 5 }[kind],
      guildId: b.guild.id,
      channelId: b.channel.id,
      userId: typeof b.user.id === 'string' ? b.user.id : '',
      dispatchedAt: 0,
      lateCallbackAt: [],
      responses: [],
      payload,
      ...extra,
    },
    kind,
    user: b.user,
    acked: false,
    followups: new Set(),
  };
}

// ---------- slash commands ----------

function resolveAttachments(
  inputs: AttachmentInput[],
  commandId: string,
): { resolved: Record<string, JsonObject>; ids: Map<string, string> } {
  const resolved: Record<string, JsonObject> = {};
  const ids = new Map<string, string>();
  for (const a of inputs) {
    if (a.size > ATTACHMENT_SIZE_LIMIT)
      fail(
        `attachment ${a.filename} is ${a.size} bytes; the Discord client refuses uploads over ${ATTACHMENT_SIZE_LIMIT}`,
      );
    const id = a.id ?? snowflake();
    const name = a.filename.replace(/[^\w.-]/g, '_');
    const q = `ex=${Math.floor(Date.now() / 1000 + (a.expiresInS ?? 86_400)).toString(16)}&is=${Math.floor(Date.now() / 1000).toString(16)}&hm=${'0'.repeat(64)}&`;
    resolved[id] = {
      id,
      filename: name,
      size: a.size,
      url: a.url ?? `https://cdn.discordapp.com/ephemeral-attachments/${commandId}/${id}/${name}?${q}`,
      proxy_url: `https://media.discordapp.net/ephemeral-attachments/${commandId}/${id}/${name}?${q}`,
      content_type: a.contentType,
      ...(a.width !== undefined ? { width: a.width, height: a.height ?? a.width } : {}),
      ephemeral: true,
      content_scan_version: 2,
      placeholder_version: 1,
    };
    ids.set(id, id);
    ids.set(a.filename, id);
  }
  return { resolved, ids };
}

function defOptions(def: JsonObject | undefined): JsonObject[] | undefined {
  if (!def) return undefined;
  return Array.isArray(def.options) ? def.options.filter(isRecord).map((o) => o as JsonObject) : [];
}

/** Checks options the way the Discord client enforces a registered command's schema. */
function checkAgainstDefinition(cmdName: string, defs: JsonObject[], given: CommandOptionInput[], path: string): void {
  const seen = new Set<string>();
  for (const opt of given) {
    const where = `/${cmdName} ${path}${opt.name}`;
    const def = defs.find((d) => d.name === opt.name) ?? fail(`${where}: no such option in the registered command`);
    if (seen.has(opt.name)) fail(`${where}: given twice`);
    seen.add(opt.name);
    if (def.type !== opt.type) fail(`${where}: type ${opt.type} but registered as ${String(def.type)}`);
    if (opt.type === 1 || opt.type === 2) {
      checkAgainstDefinition(cmdName, defOptions(def) ?? [], opt.options ?? [], `${path}${opt.name} `);
      continue;
    }
    const v = opt.value;
    if (v === undefined) fail(`${where}: missing value`);
    switch (opt.type) {
      case 3: {
        if (typeof v !== 'string') fail(`${where}: expected a string`);
        if (isInt(def.min_length) && v.length < def.min_length)
          fail(`${where}: shorter than min_length ${def.min_length}`);
        const max = isInt(def.max_length) ? def.max_length : 6000;
        if (v.length > max) fail(`${where}: longer than max_length ${max}`);
        break;
      }
      case 4:
      case 10: {
        if (typeof v !== 'number' || (opt.type === 4 && !Number.isInteger(v)))
          fail(`${where}: expected ${opt.type === 4 ? 'an integer' : 'a number'}`);
        if (typeof def.min_value === 'number' && v < def.min_value) fail(`${where}: below min_value ${def.min_value}`);
        if (typeof def.max_value === 'number' && v > def.max_value) fail(`${where}: above max_value ${def.max_value}`);
        break;
      }
      case 5:
        if (typeof v !== 'boolean') fail(`${where}: expected a boolean`);
        break;
      default:
        if (typeof v !== 'string' || !/^\d{17,20}$/.test(v)) fail(`${where}: expected a snowflake id`);
    }
    if (Array.isArray(def.choices) && def.choices.length > 0) {
      if (!def.choices.some((c) => isRecord(c) && c.value === v))
        fail(`${where}: ${String(v)} is not one of the registered choices`);
    }
  }
  const subs = given.filter((o) => o.type === 1 || o.type === 2);
  if (subs.length > 1) fail(`/${cmdName} ${path}: only one sub-command can be chosen`);
  const hasSubDefs = defs.some((d) => d.type === 1 || d.type === 2);
  if (hasSubDefs && subs.length === 0) fail(`/${cmdName} ${path}: a sub-command must be chosen`);
  for (const d of defs) {
    if (d.required === true && !seen.has(String(d.name)))
      fail(`/${cmdName} ${path}${String(d.name)}: required option missing`);
  }
}

function optionJson(o: CommandOptionInput): JsonObject {
  const out: JsonObject = { name: o.name, type: o.type };
  if (o.value !== undefined) out.value = o.value;
  if (o.options) out.options = o.options.map(optionJson);
  return out;
}

export function buildCommandInteraction(
  world: World,
  input: SendCommandInput,
  requireRegistered: boolean,
): InteractionState {
  const b = base(world, input.guildId, input.channelId, input.user);
  const def = world.findCommand(b.guild.id, input.name, 1);
  if (!def && requireRegistered) {
    fail(
      `/${input.name} is not registered (globally or in guild ${b.guild.id}); the Discord client would not offer it. Register it via PUT /applications/{app}/commands or pass requireRegisteredCommands:false`,
    );
  }
  if (def && typeof def.default_member_permissions === 'string') {
    const need = BigInt(def.default_member_permissions);
    if ((b.memberPermissions & need) !== need && (b.memberPermissions & Perm.Administrator) === 0n) {
      fail(
        `user ${input.user.id} lacks default_member_permissions ${def.default_member_permissions} for /${input.name}`,
      );
    }
  }
  const commandId = typeof def?.id === 'string' ? def.id : snowflake();
  const { resolved, ids } = resolveAttachments(input.attachments ?? [], commandId);
  const options: CommandOptionInput[] = structuredClone(input.options ?? []);
  const used = new Set<string>();
  const link = (opts: CommandOptionInput[]): void => {
    for (const o of opts) {
      if (o.type === 11) {
        const id = typeof o.value === 'string' ? ids.get(o.value) : undefined;
        if (!id)
          fail(
            `/${input.name} ${o.name}: attachment option value must be the id or filename of one of input.attachments`,
          );
        o.value = id;
        used.add(id);
      }
      if (o.options) link(o.options);
    }
  };
  link(options);
  for (const a of input.attachments ?? []) {
    const id = ids.get(a.id ?? a.filename);
    if (id && !used.has(id) && a.optionName) options.push({ name: a.optionName, type: 11, value: id });
  }
  if (def) checkAgainstDefinition(input.name, defOptions(def) ?? [], options, '');
  const id = snowflake();
  const data: JsonObject = {
    id: commandId,
    name: input.name,
    type: 1,
    ...(options.length > 0 ? { options: options.map(optionJson) } : {}),
    ...(Object.keys(resolved).length > 0 ? { resolved: { attachments: resolved } } : {}),
    ...(typeof def?.guild_id === 'string' ? { guild_id: def.guild_id } : {}),
  };
  const payload = { ...common(world, b, id, interactionToken(id), 2, input.locale ?? 'en-US'), data };
  return { ...newState(b, payload, 'command', { commandName: input.name }), commandName: input.name };
}

// ---------- autocomplete ----------

/**
 * Discord sends an autocomplete interaction only for an option registered with `autocomplete: true`,
 * with the partial text as a string whatever the option's type, and the other options filled so far.
 */
export function buildAutocompleteInteraction(world: World, input: SendAutocompleteInput): InteractionState {
  const b = base(world, input.guildId, input.channelId, input.user);
  const def =
    world.findCommand(b.guild.id, input.name, 1) ??
    fail(`/${input.name} is not registered; the Discord client would not offer it`);
  const defs = defOptions(def) ?? [];
  const focusedDef =
    defs.find((d) => d.name === input.focused) ?? fail(`/${input.name} has no option ${input.focused}`);
  if (focusedDef.autocomplete !== true)
    fail(`/${input.name} ${input.focused} is not registered with autocomplete: Discord sends no autocomplete for it`);
  const others = (input.options ?? []).filter((o) => o.name !== input.focused);
  for (const o of others)
    if (o.type === 11) fail(`/${input.name} ${o.name}: attachments are not sent with autocomplete interactions`);
  if (others.length)
    checkAgainstDefinition(
      input.name,
      defs.map((d) => ({ ...d, required: false })),
      others,
      '',
    );
  if (input.typed.length > (isInt(focusedDef.max_length) ? focusedDef.max_length : 6000))
    fail(`/${input.name} ${input.focused}: the client stops input at max_length`);
  const commandId = typeof def.id === 'string' ? def.id : snowflake();
  const id = snowflake();
  const data: JsonObject = {
    id: commandId,
    name: input.name,
    type: 1,
    options: [
      ...others.map(optionJson),
      { name: input.focused, type: focusedDef.type as number, value: input.typed, focused: true },
    ],
    ...(typeof def.guild_id === 'string' ? { guild_id: def.guild_id } : {}),
  };
  const payload = { ...common(world, b, id, interactionToken(id), 4, input.locale ?? 'en-US'), data };
  return { ...newState(b, payload, 'autocomplete', { commandName: input.name }), commandName: input.name };
}

// ---------- buttons ----------

export function buildButtonInteraction(world: World, input: ClickButtonInput): InteractionState {
  const msg = world.messages.get(input.messageId) ?? fail(`unknown message ${input.messageId}`);
  if (msg.deleted) fail(`message ${input.messageId} was deleted`);
  if (input.channelId && input.channelId !== msg.channelId)
    fail(`message ${msg.id} is in channel ${msg.channelId}, not ${input.channelId}`);
  const guildId = input.guildId ?? msg.guildId ?? fail(`message ${msg.id} has no guild`);
  if (msg.guildId && guildId !== msg.guildId) fail(`message ${msg.id} is in guild ${msg.guildId}, not ${guildId}`);
  if (world.getMeta(msg.id)?.author.id !== world.botUserId) fail(`message ${msg.id} was not sent by the bot`);
  if (msg.flags & MessageFlag.Ephemeral) {
    const owner = msg.interactionId ? world.interactionById.get(msg.interactionId)?.record.userId : undefined;
    if (owner !== input.user.id)
      fail(`message ${msg.id} is ephemeral: only user ${owner ?? '?'} can see (and click) it`);
  }
  if (msg.loading) fail(`message ${msg.id} is still "thinking…" (deferred) and has no components`);
  let button: JsonObject | undefined;
  walkComponents(msg.components, (c) => {
    if (c.type === 2 && c.custom_id === input.customId) button = c;
  });
  if (!button) fail(`message ${msg.id} has no button with custom_id ${input.customId}`);
  if (button.disabled === true) fail(`button ${input.customId} is disabled`);
  const b = base(world, guildId, msg.channelId, input.user);
  const id = snowflake();
  const payload: JsonObject = {
    ...common(world, b, id, interactionToken(id), 3, input.locale ?? 'en-US'),
    data: { custom_id: input.customId, component_type: 2, ...(typeof button.id === 'number' ? { id: button.id } : {}) },
    message: world.messageObject(msg),
  };
  const st = newState(b, payload, 'component', { customId: input.customId, messageId: msg.id });
  st.clickedMessageId = msg.id;
  return st;
}

// ---------- modal submissions ----------

/**
 * The MODAL_SUBMIT (type 5) a user's submit sends: the modal's custom_id and each text input's
 * value. Only the user it was shown to can submit it, once; one opened from a button carries the
 * clicked message, as Discord's does.
 */
export function buildModalSubmitInteraction(world: World, input: SubmitModalInput): InteractionState {
  const shown = world.interactionById.get(input.interactionId) ?? fail(`unknown interaction ${input.interactionId}`);
  const modal = shown.record.modal ?? fail(`interaction ${input.interactionId} was not answered with a modal`);
  if (shown.record.modalSubmitted)
    fail(`the modal of ${input.interactionId} was already submitted (it closes on submit)`);
  const userId = typeof shown.user.id === 'string' ? shown.user.id : '';
  const user = input.user ?? { id: userId };
  if (user.id !== userId) fail(`the modal was shown to ${userId}; ${user.id} cannot submit it`);
  const data = modalSubmitData(modal, input.values);
  shown.record.modalSubmitted = true;
  const b = base(world, shown.record.guildId, shown.record.channelId, {
    ...user,
    roles: user.roles ?? memberRoles(shown.record.payload),
  });
  const id = snowflake();
  const clicked = shown.clickedMessageId ? world.messages.get(shown.clickedMessageId) : undefined;
  const payload: JsonObject = {
    ...common(world, b, id, interactionToken(id), 5, input.locale ?? 'en-US'),
    data,
    ...(clicked && !clicked.deleted ? { message: world.messageObject(clicked) } : {}),
  };
  const st = newState(b, payload, 'modal', { customId: String(data.custom_id) });
  if (clicked) st.clickedMessageId = clicked.id;
  return st;
}

function memberRoles(payload: JsonObject): string[] {
  const member = payload.member;
  return isRecord(member) && Array.isArray(member.roles)
    ? member.roles.filter((r): r is string => typeof r === 'string')
    : [];
}
