import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per gateway instance, so tests running two nodes in one process do not collide. */
export class Metrics {
  readonly registry = new Registry();

  readonly payments = new Counter({
    name: 'billgate_payments_total',
    help: 'Bill payments by partner, protocol, outcome and reason',
    labelNames: ['partner', 'protocol', 'status', 'reason'] as const,
    registers: [this.registry],
  });

  readonly paymentLatency = new Histogram({
    name: 'billgate_payment_duration_seconds',
    help: 'Time from receipt to answer of a bill payment, by partner and outcome',
    labelNames: ['partner', 'protocol', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly idempotency = new Counter({
    name: 'billgate_idempotency_total',
    help: 'Idempotency outcomes: new, replayed, conflict, in_flight',
    labelNames: ['partner', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly httpRequests = new Counter({
    name: 'billgate_http_requests_total',
    help: 'HTTP requests by route and status code',
    labelNames: ['method', 'route', 'code'] as const,
    registers: [this.registry],
  });

  readonly routeLookups = new Counter({
    name: 'billgate_route_lookups_total',
    help: 'Routing lookups by where they were answered: local, shared (Redis), sql, fallback (cache down)',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly routeInvalidations = new Counter({
    name: 'billgate_route_invalidations_total',
    help: 'Routing cache invalidations received or published',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });

  readonly externalCalls = new Histogram({
    name: 'billgate_external_call_duration_seconds',
    help: 'Calls to billers and the core banking system by target and outcome',
    labelNames: ['target', 'outcome'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly edgeRefusals = new Counter({
    name: 'billgate_edge_refusals_total',
    help: 'Connections and requests refused at the edge, by lane and reason',
    labelNames: ['lane', 'reason'] as const,
    registers: [this.registry],
  });

  readonly inFlightRecovered = new Gauge({
    name: 'billgate_in_flight_recovered',
    help: 'Payments found stuck in flight and marked pending by the last sweep',
    registers: [this.registry],
  });

  constructor(defaultMetrics = true) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'billgate_process_' });
  }
}
