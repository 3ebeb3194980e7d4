/**
 * Standalone Kling simulator process, for the demo, e2e tests and the benchmark.
 *
 *   tsx tools/kling-simulator/simulator-cli.ts --port 0 --access-key ak --secret-key sk
 *   tsx tools/kling-simulator/simulator-cli.ts --envelope gateway --prefix /kling --api-key key
 *
 * Prints exactly one JSON line {"url","origin"} on stdout once listening, so a parent
 * process can read the (possibly ephemeral) port. Stats are served at /__sim/stats,
 * /__sim/creates/:externalTaskId and /__sim/calls by the simulator itself. `--media-bytes N` serves every
 * result file as N bytes of mp4 (media-bytes.ts).
 */
import { parseArgs } from 'node:util';
import { startKlingSimulator, type SimulatorOptions } from './simulator.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    envelope: { type: 'string' },
    prefix: { type: 'string' },
    'access-key': { type: 'string' },
    'secret-key': { type: 'string' },
    'api-key': { type: 'string' },
    'submitted-ms': { type: 'string' },
    'processing-ms': { type: 'string' },
    jitter: { type: 'string' },
    'concurrency-video': { type: 'string' },
    'concurrency-image': { type: 'string' },
    'rate-per-second': { type: 'string' },
    'media-bytes': { type: 'string' },
  },
  strict: true,
});

const env = process.env;

function fail(message: string): never {
  process.stderr.write(`kling simulator: ${message}\n`);
  process.exit(2);
}

/** argv wins over env; both are optional numbers. */
function num(flag: string | undefined, envValue: string | undefined, name: string): number | undefined {
  const raw = flag ?? envValue;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) fail(`${name} must be a non-negative number, got ${raw}`);
  return n;
}

const envelopeRaw = values.envelope ?? env['SIM_ENVELOPE'] ?? 'official';
if (envelopeRaw !== 'official' && envelopeRaw !== 'gateway')
  fail(`--envelope must be official or gateway, got ${envelopeRaw}`);

const apiKey = values['api-key'] ?? env['SIM_API_KEY'] ?? env['KLING_API_KEY'];
const accessKey = values['access-key'] ?? env['SIM_ACCESS_KEY'] ?? env['KLING_ACCESS_KEY'];
const secretKey = values['secret-key'] ?? env['SIM_SECRET_KEY'] ?? env['KLING_SECRET_KEY'];
let auth: SimulatorOptions['auth'];
if (apiKey !== undefined && apiKey !== '') auth = { apiKey };
else if (accessKey && secretKey) auth = { accessKey, secretKey };
else fail('give either --api-key, or --access-key and --secret-key');

const opts: SimulatorOptions = {
  port: num(values.port, env['SIM_PORT'], 'port') ?? 0,
  host: values.host ?? env['SIM_HOST'] ?? '127.0.0.1',
  envelope: envelopeRaw,
  prefix: values.prefix ?? env['SIM_PREFIX'] ?? '',
  auth,
  timing: {},
};
const timing = {
  submittedMs: num(values['submitted-ms'], env['SIM_SUBMITTED_MS'], 'submitted-ms'),
  processingMs: num(values['processing-ms'], env['SIM_PROCESSING_MS'], 'processing-ms'),
  jitter: num(values.jitter, env['SIM_JITTER'], 'jitter'),
};
// exactOptionalPropertyTypes-safe: only set what was given.
opts.timing = Object.fromEntries(Object.entries(timing).filter(([, v]) => v !== undefined));
const concurrencyVideo = num(values['concurrency-video'], env['SIM_CONCURRENCY_VIDEO'], 'concurrency-video');
const concurrencyImage = num(values['concurrency-image'], env['SIM_CONCURRENCY_IMAGE'], 'concurrency-image');
opts.concurrency = {
  ...(concurrencyVideo === undefined ? {} : { video: concurrencyVideo }),
  ...(concurrencyImage === undefined ? {} : { image: concurrencyImage }),
};
const rate = num(values['rate-per-second'], env['SIM_RATE_PER_SECOND'], 'rate-per-second');
if (rate !== undefined) opts.ratePerSecond = rate;
const mediaBytes = num(values['media-bytes'], env['SIM_MEDIA_BYTES'], 'media-bytes');
if (mediaBytes !== undefined) opts.media = { bytes: mediaBytes };

const sim = await startKlingSimulator(opts);
process.stdout.write(`${JSON.stringify({ url: sim.url, origin: sim.origin })}\n`);

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  sim.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
