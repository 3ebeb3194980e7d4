import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { InteractionResponseType, MessageFlags } from 'discord.js';
import { z } from 'zod';
import type { DiscordInteraction } from './handles.js';

/** Discord's error body; only its code and message are read. */
const ErrorBody = z.object({ code: z.union([z.number(), z.string()]).optional(), message: z.string().optional() });

/** Just the created message's id, from a callback sent `with_response`. */
const CallbackResponse = z.object({
  resource: z.object({ message: z.object({ id: z.string() }).optional() }).optional(),
});

/** An interaction callback Discord refused (10062 = answered too late, 40060 = answered twice). */
export class AckError extends Error {
  constructor(
    readonly status: number,
    readonly code: number | string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'AckError';
  }
}

/** A kept-alive connection the server closed just as a request was written on it. */
class StaleConnectionError extends Error {}
const isStale = (req: { reusedSocket: boolean }, err: NodeJS.ErrnoException) =>
  req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE');

/** Discord's answer to a second callback for the same interaction. */
const ALREADY_ACKNOWLEDGED = 40060;
const ACK_TIMEOUT_MS = 3000;
/** Connections opened at start-up (see `warm`); a burst opens more, up to the agent's 64. */
const WARM_CONNECTIONS = 8;
const USER_AGENT = 'DiscordBot (https://github.com/kling-bot/kling-bot, 0.1.0)';

/**
 * Sends "deferred" interaction callbacks straight over a keep-alive connection pool.
 *
 * Why not `interaction.deferReply()`: callbacks have a hard 3-second deadline and are exempt from
 * Discord's rate limits (https://discord.com/developers/docs/topics/rate-limits), so discord.js's rate-limit queue adds nothing but
 * time: under a burst of 200 commands its per-request overhead alone put the p99 ack near 900 ms
 * (bench/discord-ack.ts). discord.js's own state flags (`deferred`, `replied`) are left alone: the
 * adapter never calls discord.js's reply methods; what was sent is tracked by ack-route.ts, and every
 * later answer goes through the interaction's webhook in the channel's outbox.
 */
export class InteractionAcker {
  private readonly base: URL;
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly request: typeof httpRequest;

  constructor(apiUrl: string, apiVersion = '10') {
    this.base = new URL(`${apiUrl.replace(/\/+$/, '')}/v${apiVersion}/`);
    const secure = this.base.protocol === 'https:';
    this.agent = secure
      ? new HttpsAgent({ keepAlive: true, maxSockets: 64 })
      : new HttpAgent({ keepAlive: true, maxSockets: 64 });
    this.request = secure ? httpsRequest : httpRequest;
  }

  /** Type 5: "thinking…", public or ephemeral (fixed from here on). Returns its message id when Discord says. */
  async deferReply(
    interaction: DiscordInteraction,
    ephemeral: boolean,
    withResponse = false,
  ): Promise<string | undefined> {
    const answer = await this.callback(
      interaction,
      {
        type: InteractionResponseType.DeferredChannelMessageWithSource,
        data: { flags: ephemeral ? MessageFlags.Ephemeral : 0 },
      },
      withResponse,
    );
    return CallbackResponse.safeParse(answer).data?.resource?.message?.id;
  }

  /**
   * Type 4 (a message: the card itself, or a private answer) or 7 (a button's message replaced):
   * the answer carries the content, so it costs no channel write. Sent without `with_response`:
   * the message id is asked for only if it is ever needed (GET @original), which keeps this the
   * cheapest answer for Discord to give under a burst.
   */
  async respond(interaction: DiscordInteraction, type: 4 | 7, data: object): Promise<void> {
    await this.callback(interaction, { type, data });
  }

  /** Type 9: a form (the card's Edit); only as the first answer, never after a defer or to a modal submit. */
  async modal(interaction: DiscordInteraction, data: object): Promise<void> {
    await this.callback(interaction, { type: InteractionResponseType.Modal, data });
    interaction.replied = true;
  }

  /** Type 6: a button press acknowledged without changing its message yet. */
  async deferUpdate(interaction: DiscordInteraction): Promise<void> {
    await this.callback(interaction, { type: InteractionResponseType.DeferredMessageUpdate });
  }

  /** Type 8: the suggestions for an option being typed (autocomplete has the same 3-second deadline). */
  async autocomplete(
    interaction: Pick<DiscordInteraction, 'id' | 'token'>,
    choices: ReadonlyArray<{ name: string; value: string }>,
  ): Promise<void> {
    await this.callback(interaction, {
      type: InteractionResponseType.ApplicationCommandAutocompleteResult,
      data: { choices },
    });
  }

  /**
   * Opens keep-alive connections ahead of the first burst, so its acks do not each wait for a
   * TCP (and, against discord.com, TLS) handshake. Failures are ignored: acks open their own.
   */
  async warm(connections = WARM_CONNECTIONS): Promise<void> {
    await Promise.allSettled(Array.from({ length: connections }, () => this.send('GET', 'gateway')));
  }

  close(): void {
    this.agent.destroy();
  }

  /**
   * A kept-alive connection can be closed by the server just as the callback is written on it
   * (Node's documented keep-alive race); then the callback is sent once more on a fresh one. If
   * the first copy did arrive, Discord answers the second with 40060: acknowledged all the same.
   */
  private async callback(
    interaction: Pick<DiscordInteraction, 'id' | 'token'>,
    body: object,
    withResponse = false,
  ): Promise<unknown> {
    const path = `interactions/${interaction.id}/${encodeURIComponent(interaction.token)}/callback${withResponse ? '?with_response=true' : ''}`;
    const payload = JSON.stringify(body);
    try {
      return await this.send('POST', path, payload);
    } catch (err) {
      if (!(err instanceof StaleConnectionError)) throw err;
      return await this.send('POST', path, payload).catch((retryErr: unknown) => {
        if (!(retryErr instanceof AckError && retryErr.code === ALREADY_ACKNOWLEDGED)) throw retryErr;
        return undefined;
      });
    }
  }

  /** Resolves with the parsed JSON answer (undefined for an empty or non-JSON one). */
  private send(method: 'GET' | 'POST', path: string, payload?: string): Promise<unknown> {
    const url = new URL(path, this.base);
    const what = payload === undefined ? 'warm-up request' : 'interaction callback';
    const headers: Record<string, string | number> = { 'User-Agent': USER_AGENT };
    if (payload !== undefined)
      Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
    return new Promise((resolve, reject) => {
      const req = this.request(
        url,
        { method, agent: this.agent, timeout: ACK_TIMEOUT_MS, headers },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              if (chunks.length === 0) return resolve(undefined);
              try {
                return resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
              } catch {
                return resolve(undefined);
              }
            }
            let parsed: z.infer<typeof ErrorBody> = {};
            try {
              parsed = ErrorBody.catch({}).parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
            } catch {
              // Not JSON (a proxy's error page): the status says enough.
            }
            reject(
              new AckError(
                status,
                parsed.code,
                `${what} refused: ${status}${parsed.code !== undefined ? ` (${parsed.code})` : ''} ${parsed.message ?? ''}`.trim(),
              ),
            );
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${what} timed out`)));
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(isStale(req, err) ? new StaleConnectionError(err.message, { cause: err }) : err),
      );
      req.end(payload);
    });
  }
}
