/** Discord-shaped error responses. */
import type { JsonObject } from './json.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: JsonObject,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.message === 'string' ? body.message : `HTTP ${status}`);
  }
}

const err = (status: number, code: number, message: string): ApiError => new ApiError(status, { message, code });

export const Errors = {
  unauthorized: () => err(401, 0, '401: Unauthorized'),
  notFound: () => err(404, 0, '404: Not Found'),
  methodNotAllowed: () => err(405, 0, '405: Method Not Allowed'),
  unknownApplication: () => err(404, 10002, 'Unknown Application'),
  unknownChannel: () => err(404, 10003, 'Unknown Channel'),
  unknownGuild: () => err(404, 10004, 'Unknown Guild'),
  unknownMessage: () => err(404, 10008, 'Unknown Message'),
  unknownWebhook: () => err(404, 10015, 'Unknown Webhook'),
  unknownInteraction: () => err(404, 10062, 'Unknown interaction'),
  unknownCommand: () => err(404, 10063, 'Unknown application command'),
  notAuthorizedForApplication: () =>
    err(403, 20012, 'You are not authorized to perform this action on this application'),
  tooLarge: () => err(413, 40005, 'Request entity too large'),
  missingAccess: () => err(403, 50001, 'Missing Access'),
  alreadyAcknowledged: () => err(400, 40060, 'Interaction has already been acknowledged.'),
  cannotEditOtherUser: () => err(403, 50005, 'Cannot edit a message authored by another user'),
  emptyMessage: () => err(400, 50006, 'Cannot send an empty message'),
  invalidWebhookToken: () => err(401, 50027, 'Invalid Webhook Token'),
  invalidJson: () => err(400, 50109, 'The request body contains invalid JSON.'),
  invalidFormBody: (errors: JsonObject) => new ApiError(400, { message: 'Invalid Form Body', code: 50035, errors }),
};

export type IssuePath = ReadonlyArray<string | number>;

export interface Issue {
  path: IssuePath;
  code: string;
  message: string;
}

/** Collects validation problems and renders them as Discord's nested `errors` object. */
export class Issues {
  readonly list: Issue[] = [];

  add(path: IssuePath, code: string, message: string): void {
    this.list.push({ path, code, message });
  }

  get ok(): boolean {
    return this.list.length === 0;
  }

  toErrors(prefix: IssuePath = []): JsonObject {
    const root: JsonObject = {};
    for (const issue of this.list) {
      let node: JsonObject = root;
      for (const key of [...prefix, ...issue.path]) {
        const k = String(key);
        const next = node[k];
        if (next !== undefined && next !== null && typeof next === 'object' && !Array.isArray(next)) {
          node = next;
        } else {
          const created: JsonObject = {};
          node[k] = created;
          node = created;
        }
      }
      const existing = node._errors;
      const entry: JsonObject = { code: issue.code, message: issue.message };
      if (Array.isArray(existing)) existing.push(entry);
      else node._errors = [entry];
    }
    return root;
  }

  throwIfAny(prefix: IssuePath = []): void {
    if (!this.ok) throw Errors.invalidFormBody(this.toErrors(prefix));
  }
}
