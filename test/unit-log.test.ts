import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';

/** A logger built the way main.ts builds it, writing into an array. */
function capture(env: NodeJS.ProcessEnv) {
  const config = loadConfig(
    { KLING_ACCESS_KEY: 'ak-12345678', KLING_SECRET_KEY: 'sk-12345678', ...env },
    { requirePlatform: false },
  );
  const lines: string[] = [];
  const log = createLogger({
    level: 'info',
    secrets: config.secrets,
    out: { write: (line: string) => lines.push(line) },
  });
  return { config, log, text: () => lines.join('') };
}

describe('log scrubbing', () => {
  it('GIVEN the STORE_URL password, the callback token and Discord interaction tokens in log lines THEN none reaches the output', () => {
    const { config, log, text } = capture({
      STORE_URL: 'redis://default:s3cret-store-pw@redis:6379',
      PUBLIC_URL: 'https://bot.example',
    });
    const interactionToken = 'aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OTpSZWFsbHlMb25nVG9rZW4';
    log.error({ err: 'connect ECONNREFUSED redis://default:s3cret-store-pw@redis:6379' }, 'store down');
    log.warn({ url: `https://bot.example/kling/callback/${config.callbackToken}` }, 'callback');
    log.warn(
      {
        err: `DiscordAPIError[10062]: Unknown interaction POST /interactions/1234567890123/${interactionToken}/callback`,
      },
      'ack failed',
    );
    log.warn(
      { err: `PATCH https://discord.com/api/v10/webhooks/1098765/${interactionToken}/messages/@original failed` },
      'edit failed',
    );
    log.info({ interaction: { id: '1', token: interactionToken } }, 'payload');
    const out = text();
    expect(out).not.toContain('s3cret-store-pw');
    expect(out).not.toContain(config.callbackToken);
    expect(out).not.toContain(interactionToken);
    // What is left still says what happened.
    expect(out).toContain('/interactions/1234567890123/[redacted]/callback');
    expect(out).toContain('redis://default:[redacted]@redis:6379');
  });

  it('GIVEN CALLBACK_TOKEN and METRICS_TOKEN THEN their values are scrubbed wherever they appear', () => {
    const { log, text } = capture({ CALLBACK_TOKEN: 'cb-rotated-token-0001', METRICS_TOKEN: 'metrics-bearer-77' });
    log.info({ note: 'header Bearer metrics-bearer-77 and cb-rotated-token-0001 inside text' }, 'x');
    expect(text()).not.toMatch(/metrics-bearer-77|cb-rotated-token-0001/);
  });

  it('GIVEN a Slack payload at debug THEN its response_url never reaches the output', () => {
    const { log, text } = capture({});
    const url = 'https://hooks.slack.com/commands/T0ACME/5123456789/ResponseUrlSecretPart9f3e';
    log.level = 'debug';
    log.debug({ body: { command: '/video', response_url: url } }, 'slash command payload');
    log.debug({ payload: { actions: [], response_url: url }, responseUrl: url }, 'click');
    log.debug({ err: `POST ${url} failed: used_url` }, 'reply failed');
    const out = text();
    expect(out).toContain('slash command payload');
    expect(out).not.toContain('ResponseUrlSecretPart9f3e');
  });
});
