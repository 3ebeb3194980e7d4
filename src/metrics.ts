import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics; one registry per bot so tests and the benchmark can run several. */
export class Metrics {
  readonly registry = new Registry();
  readonly providerCalls = new Counter({ name: 'klingbot_provider_calls_total', help: 'Kling API calls by operation and outcome', labelNames: ['op', 'outcome'] as const, registers: [this.registry] });
  readonly edits = new Counter({ name: 'klingbot_card_edits_total', help: 'Card edits by platform and outcome', labelNames: ['platform', 'outcome'] as const, registers: [this.registry] });
  readonly rateLimited = new Counter({ name: 'klingbot_platform_rate_limited_total', help: '429 answers received from chat platforms', labelNames: ['platform'] as const, registers: [this.registry] });
  readonly tasksByState = new Gauge({ name: 'klingbot_tasks_in_flight', help: 'Tasks this replica is tracking, by state', labelNames: ['state'] as const, registers: [this.registry] });
  readonly queueLength = new Gauge({ name: 'klingbot_queue_length', help: 'Tasks waiting for a free Kling slot', registers: [this.registry] });
  readonly commands = new Counter({ name: 'klingbot_commands_total', help: 'Commands by name and outcome', labelNames: ['platform', 'command', 'outcome'] as const, registers: [this.registry] });

  constructor(options: { defaults?: boolean } = {}) {
    if (options.defaults) collectDefaultMetrics({ register: this.registry });
  }
}
