/**
 * Checks every request body the bot sends Discord against Discord's own OpenAPI description
 * (https://github.com/discord/discord-api-spec).
 *
 *   tsx scripts/check-discord-openapi.ts [path/to/discord-openapi.json]
 *
 * Default path: ../shared/reference/discord-openapi.json beside the repository (it is not copied into
 * the repository). Absent → one line and exit 0, so a clone without it is not failed; any body that
 * does not match its route's requestBody schema → the errors and exit 1.
 *
 * The bodies come from a real run: the bot as `npm start` runs it (bench/wire.ts) against the fake
 * Discord and the Kling simulator, driven through the product's paths — /video cards to the end
 * (interaction callback, webhook edits, and bot-token channel edits once the short-lived token is
 * gone), a refused command, Refresh / Regenerate / Delete clicks, /tasks with a page turn, and the
 * command registration at start-up.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { z } from 'zod';
import { startDiscordWire } from '../bench/wire.js';
import type { FakeDiscord, InteractionRecord, MessageRecord, RequestRecord } from '../test/fakes/discord/index.js';
import { messageOf } from '../src/error-fields.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const specPath = resolve(process.argv[2] ?? resolve(REPO, '../shared/reference/discord-openapi.json'));

if (!existsSync(specPath)) {
  process.stdout.write(`discord openapi check: skipped, ${specPath} is not there\n`);
  process.exit(0);
}

const Operation = z.looseObject({
  requestBody: z.looseObject({ content: z.record(z.string(), z.looseObject({ schema: z.unknown() })) }).optional(),
});
const Spec = z.looseObject({
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
  components: z.record(z.string(), z.unknown()),
});
const spec = Spec.parse(JSON.parse(readFileSync(specPath, 'utf8')));

interface RouteSchema {
  method: string;
  template: string;
  re: RegExp;
  key: string;
  schema: unknown;
}

/** Every operation with a JSON request body, with a regex for the paths it serves. */
const routes: RouteSchema[] = [];
for (const [template, ops] of Object.entries(spec.paths)) {
  for (const [method, raw] of Object.entries(ops)) {
    const op = Operation.safeParse(raw);
    const schema = op.success ? op.data.requestBody?.content['application/json']?.schema : undefined;
    if (schema === undefined) continue;
    const re = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    routes.push({ method: method.toUpperCase(), template, re, key: `r${routes.length}`, schema });
  }
}
// Literal segments win over parameters (/applications/@me before /applications/{id}).
const specificity = (t: string) => t.split('/').filter((seg) => !seg.startsWith('{')).length;
routes.sort((a, b) => specificity(b.template) - specificity(a.template));

// The route schemas live under one root beside the components, so their "#/components/…" refs resolve.
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
ajv.addFormat('snowflake', /^(0|[1-9][0-9]*)$/);
for (const f of ['int32', 'int64', 'double', 'nonce']) ajv.addFormat(f, true);
ajv.addFormat('uri', (s: string) => URL.canParse(s));
ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
ajv.addSchema({
  $id: 'discord',
  components: spec.components,
  $defs: Object.fromEntries(routes.map((r) => [r.key, r.schema])),
});

/** The JSON a request carried (for multipart: its payload_json), or undefined when it had none. */
function bodyOf(r: RequestRecord): unknown {
  if (r.body === null || typeof r.body !== 'object' || Array.isArray(r.body)) return r.body ?? undefined;
  if ('payload_json' in r.body && 'files' in r.body) return r.body['payload_json'] ?? undefined;
  return r.body;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function customIdsOf(m: MessageRecord | undefined): string[] {
  return JSON.stringify(m?.components ?? []).match(/kb:[a-z]:[^"]+/g) ?? [];
}

async function drive(
  fake: FakeDiscord,
  video: (channel: string, prompt: string) => Promise<InteractionRecord>,
  channels: string[],
  guildId: string,
): Promise<void> {
  const user = { id: '1085866582048505856', username: 'openapi' };
  const cards = await Promise.all(
    [0, 1, 2, 3].map((i) => video(channels[i % channels.length] ?? '', `an openapi check, scene ${i}`)),
  );
  const cardOf = (rec: InteractionRecord) =>
    rec.originalMessageId ? fake.messages.get(rec.originalMessageId) : undefined;
  // Finished: the video's URL (or its uploaded copy) shows in the content (older cards) or a V2 card's gallery.
  const done = (rec: InteractionRecord) =>
    /\/media\/\d+\.mp4|attachment:\/\//.test(
      `${cardOf(rec)?.content ?? ''}${JSON.stringify(cardOf(rec)?.components ?? [])}`,
    );
  await fake.waitFor(() => cards.every(done), 90_000);
  await video(channels[0] ?? '', 'a fox --ar 4:3'); // refused privately
  const first = cards[0];
  const card = first ? cardOf(first) : undefined;
  if (card) {
    for (const prefix of ['kb:r:', 'kb:g:']) {
      const id = customIdsOf(card).find((c) => c.startsWith(prefix));
      if (id) await fake.clickButton({ messageId: card.id, customId: id, user });
      await sleep(1500);
    }
  }
  const list = await fake.sendCommand({
    guildId,
    channelId: channels[0] ?? '',
    user,
    name: 'tasks',
    options: [{ name: 'page_size', type: 4, value: 2 }],
  });
  const page = await fake.waitFor(
    () => [...fake.messages.values()].find((m) => m.interactionId === list.id && !m.loading),
    10_000,
  );
  const next = customIdsOf(page).find((c) => c.startsWith('kb:p:'));
  if (next) await fake.clickButton({ messageId: page.id, customId: next, user });
  const owner = cards[1] ? cardOf(cards[1]) : undefined;
  const del = customIdsOf(owner).find((c) => c.startsWith('kb:d:'));
  // The card's requester is the wire's user for that command; a click by someone else is refused privately.
  if (owner && del) await fake.clickButton({ messageId: owner.id, customId: del, user });
  await sleep(3000);
}

/** The check must be able to fail: bodies Discord refuses are refused here too, before anything is run. */
function expectRefused(method: string, path: string, body: unknown): void {
  const route = routes.find((x) => x.method === method && x.re.test(path));
  const validate = route ? ajv.getSchema(`discord#/$defs/${route.key}`) : undefined;
  if (!validate || validate(body)) {
    process.stdout.write(
      `discord openapi check: the validator accepted a body Discord refuses (${method} ${path} ${JSON.stringify(body)}); the description did not load as expected\n`,
    );
    process.exit(1);
  }
}
expectRefused('POST', '/interactions/1/tok/callback', { type: 4, data: { content: 5 } });
expectRefused('PATCH', '/webhooks/1/tok/messages/@original', { embeds: [{ title: 7 }] });
expectRefused('PATCH', '/channels/1/messages/2', { components: [{ type: 'row' }] });

const wire = await startDiscordWire({
  layout: [2],
  channelEditLimit: null,
  // The token dies before the tasks finish, so the last edits go through the bot-token channel route.
  fake: { tokenLifetimeMs: 2500 },
  timing: { submittedMs: 500, processingMs: 3500, jitter: 0 },
  env: { POLL_INTERVAL_MS: '200' },
});
let failures = 0;
let checked = 0;
const perRoute = new Map<string, number>();
try {
  const guild = wire.guilds[0];
  if (!guild) throw new Error('no guild');
  // A scenario that stalls (a slow machine) is not an invalid body: say so and check what was sent.
  await drive(wire.fake, wire.video, guild.channels, guild.id).catch((err: unknown) => {
    process.stdout.write(
      `discord openapi check: warning, the scenario did not run to its end (${messageOf(err)}); checking the bodies sent so far\n`,
    );
  });
  for (const r of wire.fake.requests) {
    const body = bodyOf(r);
    if (body === undefined || r.method === 'GET') continue;
    const route = routes.find((x) => x.method === r.method && x.re.test(r.path));
    const label = `${r.method} ${route?.template ?? r.path}`;
    if (!route) {
      failures++;
      process.stdout.write(`no OpenAPI route for ${r.method} ${r.path}\n`);
      continue;
    }
    const validate = ajv.getSchema(`discord#/$defs/${route.key}`);
    if (!validate) throw new Error(`schema for ${label} did not compile`);
    checked++;
    perRoute.set(label, (perRoute.get(label) ?? 0) + 1);
    if (!validate(body)) {
      failures++;
      const errors = (validate.errors ?? [])
        .slice(0, 8)
        .map((e: ErrorObject) => `    ${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
      process.stdout.write(
        `INVALID ${label} (answered ${r.status}):\n    body ${JSON.stringify(body).slice(0, 600)}\n${errors.join('\n')}\n`,
      );
    }
  }
} finally {
  await wire.close();
}
for (const [label, n] of [...perRoute].sort()) process.stdout.write(`  ${String(n).padStart(4)}  ${label}\n`);
process.stdout.write(
  `discord openapi check: ${checked} request bodies against ${specPath}: ${failures === 0 ? 'all valid' : `${failures} invalid`}\n`,
);
process.exit(failures === 0 && checked > 0 ? 0 : 1);
