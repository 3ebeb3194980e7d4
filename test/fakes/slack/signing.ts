import { createHmac } from 'node:crypto';

/** `v0=` + hex HMAC-SHA256(signingSecret, `v0:${timestampSec}:${rawBody}`) — Slack's request signature. */
export function signSlackRequest(signingSecret: string, timestampSec: number, rawBody: string): string {
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(`v0:${timestampSec}:${rawBody}`);
  return `v0=${hmac.digest('hex')}`;
}
