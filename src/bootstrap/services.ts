import type { AppConfig } from '../config/config';
import type { BillTypeCatalog } from '../domain/catalog/bill-types';
import type { Ledger } from '../domain/ledger/ledger';
import type { ApiKeyAuthenticator } from '../domain/partners/api-key-authenticator';
import type { PaymentsRepository } from '../domain/payments/payments.repository';
import type { RouteResolver } from '../domain/routing/route-resolver';
import type { KeyValueCache } from '../infrastructure/cache/cache';
import type { DatabaseHandle } from '../infrastructure/database/database';
import type { Logger } from '../infrastructure/logging/logger';
import type { Metrics } from '../infrastructure/metrics/metrics';
import type { BillPayPipeline } from '../pipeline/bill-pay.pipeline';

/** Everything the lanes use, built once by the composition root (gateway.ts). */
export interface GatewayServices {
  readonly config: AppConfig;
  readonly database: DatabaseHandle;
  readonly cache: KeyValueCache;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly authenticator: ApiKeyAuthenticator;
  readonly billTypes: BillTypeCatalog;
  readonly pipeline: BillPayPipeline;
  readonly payments: PaymentsRepository;
  readonly ledger: Ledger;
  readonly routes: RouteResolver;
}

export const GATEWAY_SERVICES = Symbol('GatewayServices');
