import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Live numbers read at scrape time. */
export interface MetricSources {
  connections(): number;
  rooms(): number;
}

/**
 * Prometheus metrics of one server process (`GET /metrics`). Each app has its
 * own registry, never prom-client's global one, so several apps in one test
 * process do not collide; every series carries the process's `node` label.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly messagesReceived: Counter;
  readonly messagesDelivered: Counter;
  /** From a `message` frame's arrival to its echo being written to the sender. */
  readonly sendLatency: Histogram;
  readonly resumes: Counter;
  readonly slowConsumers: Counter;
  readonly busErrors: Counter<'operation'>;
  readonly storeErrors: Counter<'operation'>;
  readonly pushes: Counter<'result'>;
  private sources: MetricSources = { connections: () => 0, rooms: () => 0 };

  constructor(nodeId: string, opts: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node: nodeId });
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const sources = () => this.sources;
    new Gauge({
      name: 'parley_connections_open',
      help: 'Open WebSocket connections that joined a room',
      registers,
      collect() {
        this.set(sources().connections());
      },
    });
    new Gauge({
      name: 'parley_rooms_active',
      help: 'Rooms with at least one member connected to this process',
      registers,
      collect() {
        this.set(sources().rooms());
      },
    });
    this.messagesReceived = new Counter({
      name: 'parley_messages_received_total',
      help: 'Chat messages received from clients (before storing)',
      registers,
    });
    this.messagesDelivered = new Counter({
      name: 'parley_messages_delivered_total',
      help: 'Chat messages written to client connections (live and catch-up; not resume replays)',
      registers,
    });
    this.sendLatency = new Histogram({
      name: 'parley_send_echo_seconds',
      help: "From a message frame's arrival to its echo to the sender (stored and published)",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.resumes = new Counter({
      name: 'parley_resumes_total',
      help: 'Reconnections served with `since=` (missed messages replayed)',
      registers,
    });
    this.slowConsumers = new Counter({
      name: 'parley_slow_consumers_dropped_total',
      help: 'Connections closed because their unsent data passed the limit',
      registers,
    });
    this.busErrors = new Counter({
      name: 'parley_bus_errors_total',
      help: 'Message bus (Redis) and presence failures, by operation',
      labelNames: ['operation'],
      registers,
    });
    this.storeErrors = new Counter({
      name: 'parley_store_errors_total',
      help: 'Failed database operations, by operation',
      labelNames: ['operation'],
      registers,
    });
    this.pushes = new Counter({
      name: 'parley_push_total',
      help: 'Web Push requests by result: sent, gone (404/410, subscription deleted), failed; dropped: messages not pushed (queue full)',
      labelNames: ['result'],
      registers,
    });
  }

  /** Where the gauges read their values. */
  track(sources: MetricSources): void {
    this.sources = sources;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
