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

  readonly routeCacheHitRatio = new Gauge({
    name: 'billgate_route_cache_hit_ratio',
    help: 'Share of routing lookups answered from a cache (local or shared) since start',
    registers: [this.registry],
    collect: async () => {
      const values = (await this.routeLookups.get()).values;
      let hits = 0;
      let total = 0;
      for (const v of values) {
        total += v.value;
        if (v.labels.source === 'local' || v.labels.source === 'shared') hits += v.value;
      }
      this.routeCacheHitRatio.set(total === 0 ? 0 : hits / total);
    },
  });

  readonly routingChanges = new Counter({
    name: 'billgate_routing_changes_total',
    help: 'Routing rule changes written (each with its audit entry), by action and origin',
    labelNames: ['action', 'via'] as const,
    registers: [this.registry],
  });

  readonly externalCalls = new Histogram({
    name: 'billgate_external_call_duration_seconds',
    help: 'Calls to billers and the core banking system by target and outcome',
    labelNames: ['target', 'outcome'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly batchSize = new Histogram({
    name: 'billgate_db_batch_size',
    help: 'Payments written per database statement by the group-commit writers, by writer',
    labelNames: ['writer'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });

  readonly batchFailures = new Counter({
    name: 'billgate_db_batch_failures_total',
    help: 'Group-commit statements the database refused, by writer and outcome: split (to find the payment at fault) or failed (every payment of it failed)',
    labelNames: ['writer', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly edgeRefusals = new Counter({
    name: 'billgate_edge_refusals_total',
    help: 'Connections and requests refused at the edge, by lane and reason',
    labelNames: ['lane', 'reason'] as const,
    registers: [this.registry],
  });

  /** Refreshers run on each scrape, registered by the composition root (credentials, onboarding). */
  private readonly scrapeHooks = new Map<string, () => Promise<void>>();

  onScrape(name: string, refresh: () => Promise<void>): void {
    this.scrapeHooks.set(name, refresh);
  }

  private readonly scraping = new Map<string, Promise<void>>();

  /** Gauges are collected concurrently: those sharing a hook share its one run per scrape. */
  private scrape(name: string): Promise<void> {
    const running = this.scraping.get(name);
    if (running !== undefined) return running;
    const run = (this.scrapeHooks.get(name)?.() ?? Promise.resolve())
      .catch(() => undefined)
      .finally(() => this.scraping.delete(name));
    this.scraping.set(name, run);
    return run;
  }

  readonly credentialsNearingEnd = new Gauge({
    name: 'billgate_credentials_nearing_end',
    help: 'Partner credentials still accepted that end within the horizon (7 days), by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
    collect: () => this.scrape('credentials'),
  });

  readonly partnerStateSeconds = new Gauge({
    name: 'billgate_partner_state_seconds',
    help: 'Time each partner has spent in each onboarding state',
    labelNames: ['partner', 'state'] as const,
    registers: [this.registry],
    collect: () => this.scrape('partners'),
  });

  readonly partnerSigningToFirstPaymentSeconds = new Gauge({
    name: 'billgate_partner_signing_to_first_settled_payment_seconds',
    help: 'Time from contracts signed to the first approved payment, per partner',
    labelNames: ['partner'] as const,
    registers: [this.registry],
    collect: () => this.scrape('partners'),
  });

  readonly paymentsWaiting = new Gauge({
    name: 'billgate_payments_waiting',
    help: 'Payments not yet in a final state, by state (RECEIVED, POSTED, PENDING, NEEDS_ATTENTION), cluster-wide',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: () => this.scrape('waiting'),
  });

  readonly paymentsWaitingOldestAge = new Gauge({
    name: 'billgate_payments_waiting_oldest_age_seconds',
    help: 'Age of the oldest payment in each waiting state (0 when none), cluster-wide',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: () => this.scrape('waiting'),
  });

  /* Onboarding as a product (issue 14): milestones from contracts signed, certification attempts. */
  readonly partnerOnboardingMilestoneSeconds = new Gauge({
    name: 'billgate_partner_onboarding_milestone_seconds',
    help: 'Time from contracts signed to each onboarding milestone reached (first_certified_run, live, first_settled_payment, first_clean_reconciliation), per partner',
    labelNames: ['partner', 'milestone'] as const,
    registers: [this.registry],
    collect: () => this.scrape('partners'),
  });

  readonly partnerCertificationAttempts = new Gauge({
    name: 'billgate_partner_certification_attempts',
    help: 'Certification attempts stored with each partner (signed reports and recorded results), by result',
    labelNames: ['partner', 'result'] as const,
    registers: [this.registry],
    collect: () => this.scrape('partners'),
  });

  readonly partnerCertificationPassRatio = new Gauge({
    name: 'billgate_partner_certification_pass_ratio',
    help: "Passing certification attempts over all of a partner's attempts",
    labelNames: ['partner'] as const,
    registers: [this.registry],
    collect: () => this.scrape('partners'),
  });

  readonly onboardingPartners = new Gauge({
    name: 'billgate_onboarding_partners',
    help: 'Partners in each onboarding state',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: () => this.scrape('partners'),
  });

  readonly onboardingMilestoneMedianSeconds = new Gauge({
    name: 'billgate_onboarding_milestone_median_seconds',
    help: 'Median time from contracts signed to each milestone, over the partners that reached it',
    labelNames: ['milestone'] as const,
    registers: [this.registry],
    collect: () => this.scrape('partners'),
  });

  readonly onboardingCertificationPassRatio = new Gauge({
    name: 'billgate_onboarding_certification_pass_ratio',
    help: 'Passing certification attempts over all attempts, every partner',
    registers: [this.registry],
    collect: () => this.scrape('partners'),
  });

  readonly refundsOwed = new Gauge({
    name: 'billgate_core_banking_refunds_owed',
    help: 'Refunds to bank customers that core banking has not yet confirmed (retried until it does)',
    registers: [this.registry],
  });

  readonly inFlightRecovered = new Gauge({
    name: 'billgate_in_flight_recovered',
    help: 'Payments found stuck in flight and marked pending by the last sweep',
    registers: [this.registry],
  });

  readonly databaseUp = new Gauge({
    name: 'billgate_database_up',
    help: '1 while this node reaches its database (probed every second), 0 while it is away',
    registers: [this.registry],
  });

  readonly nodeLeaseHeld = new Gauge({
    name: 'billgate_node_lease_held',
    help: '1 while this node holds its in-flight ownership lease (heartbeat renewed in time)',
    registers: [this.registry],
  });

  readonly webhookDeliveries = new Counter({
    name: 'billgate_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: delivered, failed, timeout, gone (410), unsigned',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly webhookPending = new Gauge({
    name: 'billgate_webhook_events_pending',
    help: 'Webhook deliveries waiting to be sent or retried',
    registers: [this.registry],
    collect: () => this.scrape('webhooks'),
  });

  readonly webhookOldestPendingAge = new Gauge({
    name: 'billgate_webhook_oldest_undelivered_age_seconds',
    help: 'Age of the oldest webhook delivery not yet delivered',
    registers: [this.registry],
    collect: () => this.scrape('webhooks'),
  });

  readonly resolutions = new Counter({
    name: 'billgate_payment_resolutions_total',
    help: 'Payments left pending that reached a final state, by outcome and by what decided it',
    labelNames: ['outcome', 'by'] as const,
    registers: [this.registry],
  });

  readonly parked = new Counter({
    name: 'billgate_payments_parked_total',
    help: 'Payments parked in NEEDS_ATTENTION for ops, by the state they were parked from',
    labelNames: ['from'] as const,
    registers: [this.registry],
  });

  readonly followUps = new Gauge({
    name: 'billgate_follow_up_jobs',
    help: 'Durable follow-ups (payment.resolve, biller.reversal, agent-core.reversal) by state',
    labelNames: ['kind', 'state'] as const,
    registers: [this.registry],
    collect: () => this.scrape('follow-ups'),
  });

  /**
   * Reconciliation figures (issue 12), read from the database when Prometheus scrapes: the
   * reconciliation module sets the reader; the three gauges below share one read per scrape.
   */
  reconFigures: (() => Promise<ReconGaugeFigures>) | undefined;
  private reconRead: { at: number; figures: Promise<ReconGaugeFigures> } | undefined;

  private async readRecon(): Promise<ReconGaugeFigures | undefined> {
    if (this.reconFigures === undefined) return undefined;
    const now = Date.now();
    if (this.reconRead === undefined || now - this.reconRead.at > 1_000) {
      this.reconRead = { at: now, figures: this.reconFigures() };
    }
    return this.reconRead.figures.catch(() => undefined);
  }

  readonly reconBreaksOpen = new Gauge({
    name: 'billgate_recon_breaks_open',
    help: 'Open reconciliation breaks by code (B1-B8) and owner (ops, eng, partner-ops)',
    labelNames: ['code', 'owner'] as const,
    registers: [this.registry],
    collect: async () => {
      const f = await this.readRecon();
      if (f === undefined) return;
      this.reconBreaksOpen.reset();
      for (const r of f.open) this.reconBreaksOpen.set({ code: r.code, owner: r.owner }, r.open);
    },
  });

  readonly reconOldestOpenBreakAge = new Gauge({
    name: 'billgate_recon_oldest_open_break_age_seconds',
    help: 'Age of the oldest open reconciliation break (0 when none is open)',
    registers: [this.registry],
    collect: async () => {
      const f = await this.readRecon();
      if (f !== undefined) this.reconOldestOpenBreakAge.set(f.oldestOpenAgeSeconds ?? 0);
    },
  });

  readonly reconResolvedWithin4h = new Gauge({
    name: 'billgate_recon_breaks_resolved_within_4h_ratio',
    help: 'Share of the breaks of the last 7 business days resolved within 4 hours of being raised',
    registers: [this.registry],
    collect: async () => {
      const f = await this.readRecon();
      if (f !== undefined && f.resolvedWithin4hShare !== null)
        this.reconResolvedWithin4h.set(f.resolvedWithin4hShare);
    },
  });

  readonly reconRuns = new Counter({
    name: 'billgate_recon_runs_total',
    help: 'Reconciliation runs by trigger (schedule, cli, api) and state (done, failed)',
    labelNames: ['trigger', 'state'] as const,
    registers: [this.registry],
  });

  readonly reconFiles = new Counter({
    name: 'billgate_recon_files_total',
    help: 'Reconciliation files received by source (partner, biller) and outcome (stored, duplicate, refused)',
    labelNames: ['source', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor(defaultMetrics = true) {
    // Node's own metrics keep their names under our prefix: billgate_process_cpu_seconds_total,
    // billgate_nodejs_eventloop_lag_seconds (prom-client's names already start with process_/nodejs_).
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'billgate_' });
  }
}

/** What the reconciliation gauges show (see Metrics.reconFigures). */
export interface ReconGaugeFigures {
  readonly open: readonly { readonly code: string; readonly owner: string; readonly open: number }[];
  readonly oldestOpenAgeSeconds: number | null;
  readonly resolvedWithin4hShare: number | null;
}
