import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics; one registry per bot so tests and the benchmark can run several. */
export class Metrics {
  readonly registry = new Registry();
  readonly providerCalls = new Counter({
    name: 'klingbot_provider_calls_total',
    help: 'Kling API calls by operation and outcome',
    labelNames: ['op', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly edits = new Counter({
    name: 'klingbot_card_edits_total',
    help: 'Card edits by platform and outcome',
    labelNames: ['platform', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'klingbot_platform_rate_limited_total',
    help: '429 answers received from chat platforms',
    labelNames: ['platform'] as const,
    registers: [this.registry],
  });
  readonly tasksByState = new Gauge({
    name: 'klingbot_tasks_in_flight',
    help: 'Tasks this replica is tracking, by state',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  readonly queueLength = new Gauge({
    name: 'klingbot_queue_length',
    help: 'Tasks waiting for a free Kling slot',
    registers: [this.registry],
  });
  readonly commands = new Counter({
    name: 'klingbot_commands_total',
    help: 'Commands by name and outcome',
    labelNames: ['platform', 'command', 'outcome'] as const,
    registers: [this.registry],
  });

  /** Where the process's memory is, read at each scrape (so the next memory change can aim). */
  readonly memory = new Gauge({
    name: 'klingbot_memory_bytes',
    help: 'process.memoryUsage(): rss, heap_used, heap_total, external, array_buffers',
    labelNames: ['kind'] as const,
    registers: [this.registry],
    collect() {
      const m = process.memoryUsage();
      this.set({ kind: 'rss' }, m.rss);
      this.set({ kind: 'heap_used' }, m.heapUsed);
      this.set({ kind: 'heap_total' }, m.heapTotal);
      this.set({ kind: 'external' }, m.external);
      this.set({ kind: 'array_buffers' }, m.arrayBuffers);
    },
  });
  /**
   * Entries held by a platform library's caches (discord.js guilds, channels, users, members…), set by the adapters.
   */
  readonly cacheEntries = new Gauge({
    name: 'klingbot_platform_cache_entries',
    help: 'Entries in a platform library cache',
    labelNames: ['platform', 'cache'] as const,
    registers: [this.registry],
  });

  private readonly refreshers: Array<() => void> = [];

  /** Runs `refresh` before each /metrics answer (for figures read from elsewhere, like library caches). */
  beforeScrape(refresh: () => void): void {
    this.refreshers.push(refresh);
  }

  /** The registry's text, after every refresher ran. */
  async scrape(): Promise<string> {
    for (const refresh of this.refreshers) refresh();
    return this.registry.metrics();
  }

  constructor(options: { defaults?: boolean } = {}) {
    if (options.defaults) collectDefaultMetrics({ register: this.registry });
  }
}
