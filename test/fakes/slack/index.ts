export {
  ACK_DEADLINE_MS,
  DEFAULT_CHANNEL_LIMIT,
  DEFAULT_EPHEMERAL_LIMIT,
  DEFAULT_POST_MESSAGE_LIMIT,
  DEFAULT_RESPONSE_URL_LIFETIME_MS,
  DEFAULT_RESPONSE_URL_USES,
  FAKE_VERIFICATION_TOKEN,
  MAX_MESSAGE_TEXT,
  startFakeSlack,
} from './server.js';
export { signSlackRequest } from './signing.js';
export {
  BLOCK_LIMITS,
  blockTexts,
  findButtons,
  normalizeBlocks,
  validateBlocks,
  type BlocksCheck,
  type FoundButton,
  type Json,
  type JsonObject,
} from './blocks.js';
export type {
  ButtonClickInput,
  CallRecord,
  DeliveryResult,
  EphemeralRecord,
  FakeSlack,
  FakeSlackOptions,
  MessageEdit,
  MessageRecord,
  RateLimitOptions,
  RateLimitRecord,
  ResponseUrlRecord,
  SignatureMode,
  SlashCommandInput,
  SubmitViewInput,
  ViewSubmissionResult,
} from './types.js';
export type { ViewRecord } from './views.js';
