import { z } from 'zod';

/**
 * What the ops API (and the partner endpoints around it) answers, described once in zod and
 * attached to the OpenAPI document by operation (see openapi.ts). `openapi.spec` fetches real
 * answers of a running gateway and parses them with these schemas, so they cannot drift far.
 * Objects are open (`loose`): a field added to an answer is not a breaking change.
 */
const iso = z.string().describe('ISO 8601 instant');
const decimal = z.string().describe('an amount as a decimal string in major units, e.g. "1250.50"');
const minor = z
  .string()
  .regex(/^-?\d+$/)
  .describe('an amount in minor units, as a decimal string');
const obj = <T extends z.ZodRawShape>(shape: T) => z.object(shape).loose();
const items = (item: z.ZodType) => obj({ items: z.array(item) });

const laneAssignment = obj({ laneId: z.string(), kind: z.string(), cidrs: z.array(z.string()) });
export const partnerView = obj({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['bank', 'mfs', 'aggregator', 'card-scheme', 'otc-network']),
  payerTypes: z.array(z.string()),
  status: z.string().describe('draft, contracts-signed, connectivity, certification, live or suspended'),
  schedules: obj({}).describe('msa, technical, operational: as sent to PUT /ops/partners/{id}/schedules'),
  noticeHours: z.number(),
  statusChangedAt: iso,
  contractsSignedAt: iso.nullable(),
  certificationPassedAt: iso.nullable(),
  firstSettledAt: iso.nullable(),
  signingToFirstSettledSeconds: z.number().nullable(),
  secondsInState: z.record(z.string(), z.number()),
  history: z.array(obj({})),
  lanes: z.array(laneAssignment),
});

const credential = obj({
  id: z.string(),
  partnerId: z.string(),
  kind: z.enum(['client-certificate', 'api-key', 'webhook-secret', 'token-signing-key']),
  fingerprint: z.string(),
  hint: z.string().optional(),
  validFrom: iso,
  validUntil: iso.optional(),
  revokedAt: iso.optional(),
  revocationReason: z.string().optional(),
  status: z.enum(['ACCEPTABLE', 'NOT_YET_VALID', 'EXPIRED', 'REVOKED']).optional(),
});
const credentialOverview = obj({
  credentials: z.array(credential),
  pendingRotations: z.array(obj({})),
  expiringSoon: z.array(obj({})),
});
const issuedSecret = obj({
  id: z.string(),
  key: z.string().optional().describe('API key: shown once, never again'),
  secret: z.string().optional().describe('webhook secret (whsec_…): shown once'),
}).describe('the new credential (its secret shown once) and the rotation it started');
const signingKey = obj({ kid: z.string(), state: z.string(), createdAt: iso });
const signingKeys = obj({ overlapSeconds: z.number().optional(), keys: z.array(signingKey) });

const float = obj({
  accountId: z.string(),
  partnerId: z.string(),
  currency: z.string(),
  balanceMinor: minor,
  balanceMajor: decimal,
  openedAt: iso,
});
const statement = obj({
  float,
  lines: z.array(
    obj({
      entryId: z.string(),
      at: iso,
      kind: z.string(),
      paymentId: z.string().nullable(),
      memo: z.string().nullable(),
      side: z.enum(['D', 'C']),
      amountMinor: minor,
      balanceMinor: minor,
    }),
  ),
  nextAfterEntry: z.string().nullable(),
});

const rule = obj({
  id: z.string(),
  billType: z.string(),
  payerType: z.string(),
  partnerId: z.string().describe('a partner id, or * for every partner'),
  billerEndpoint: z.string(),
  settlementAccount: z.string(),
  enabled: z.boolean(),
  version: z.number().int(),
});
const routingAuditEntry = obj({
  seq: z.number().int(),
  at: iso,
  actor: z.string(),
  action: z.string(),
  ruleId: z.string(),
  reason: z.string(),
  before: obj({}).nullable(),
  after: obj({}).nullable(),
  prevHash: z.string(),
  hash: z.string(),
});
const chainVerdict = obj({
  intact: z.boolean(),
  checked: z.number().int(),
  headSeq: z.number().int(),
  firstBrokenAt: z.number().int().optional(),
  problem: z.string().optional(),
});
const opsAuditEntry = obj({
  seq: z.number().int(),
  at: iso,
  actor: z.string(),
  action: z.string().describe('e.g. biller.update, float.fund, agent.suspend'),
  subjectType: z.string(),
  subjectId: z.string(),
  reason: z.string(),
  before: z.unknown(),
  after: z.unknown(),
  prevHash: z.string(),
  hash: z.string(),
});

const agent = obj({
  id: z.string(),
  partnerId: z.string(),
  region: z.string(),
  status: z.enum(['active', 'suspended']),
  suspensionReason: z.string().nullable(),
  currency: z.string(),
  cashLimit: decimal,
  unsettledCash: decimal,
  availableToCollect: decimal,
  ledgerCashPosition: decimal,
  varianceThreshold: decimal,
  cashAccountId: z.string(),
  createdAt: iso,
});
const terminal = obj({
  id: z.string(),
  agentId: z.string(),
  label: z.string(),
  status: z.string(),
  keyHint: z.string(),
  revokedAt: iso.nullable(),
  offlineAllowance: obj({ maxCount: z.number().int(), maxTotal: decimal }),
  createdAt: iso,
});
const countSheet = obj({
  id: z.string(),
  agentId: z.string(),
  businessDate: z.string(),
  currency: z.string(),
  counts: z.array(obj({ denomination: z.string(), count: z.number().int(), value: decimal })),
  counted: decimal,
  ledgerPosition: decimal,
  variance: decimal,
  corrects: z.string().nullable(),
  suspended: z.boolean(),
  submittedBy: z.string(),
  createdAt: iso,
});
const settlement = obj({ id: z.string(), agentId: z.string(), amount: decimal, currency: z.string() });

const trialBalance = obj({
  currencies: z.array(
    obj({
      currency: z.string(),
      debits: minor.describe('sum of every debit line, in minor units of the currency'),
      credits: minor.describe('sum of every credit line, in minor units of the currency'),
      balanced: z.boolean(),
      accountsAgree: z.boolean(),
    }),
  ),
  balanced: z.boolean(),
});

const payment = obj({
  id: z.string(),
  status: z.enum(['RECEIVED', 'POSTED', 'APPROVED', 'DECLINED', 'PENDING', 'REVERSED', 'NEEDS_ATTENTION']),
  reasonCode: z.string(),
  billerReceipt: z.string().optional(),
});

/** Success answer of each operation, by `METHOD /path` as the OpenAPI document spells it. */
export const RESPONSE_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  'POST /bill/pay': payment,
  'GET /bill/pay/{id}': payment,
  'GET /ops/partners': items(partnerView),
  'POST /ops/partners': partnerView,
  'GET /ops/partners/{id}': partnerView,
  'PUT /ops/partners/{id}/schedules': partnerView,
  'POST /ops/partners/{id}/transitions': partnerView,
  'POST /ops/partners/{id}/certification': partnerView,
  'POST /ops/partners/{id}/lanes': partnerView,
  'GET /ops/partners/{id}/credentials': credentialOverview,
  'POST /ops/partners/{id}/certificates': obj({}).describe('the registered certificate and its rotation'),
  'POST /ops/partners/{id}/api-keys': issuedSecret,
  'POST /ops/partners/{id}/webhook-secrets': issuedSecret,
  'POST /ops/partners/{id}/credentials/{credentialId}/revoke': credential,
  'GET /ops/credentials/rotations': obj({
    pendingRotations: z.array(obj({})),
    expiringSoon: z.array(obj({})),
    signingKeys: z.array(signingKey),
  }),
  'GET /ops/token-signing-keys': signingKeys,
  'POST /ops/token-signing-keys/rotate': signingKeys,
  'POST /ops/token-signing-keys/{kid}/revoke': signingKeys,
  'GET /partner/credentials': credentialOverview,
  'POST /partner/credentials/api-keys': issuedSecret,
  'POST /partner/credentials/webhook-secrets': issuedSecret,
  'POST /partner/credentials/{credentialId}/revoke': credential,
  'GET /ops/partners/{id}/floats': items(float),
  'POST /ops/partners/{id}/floats': float,
  'GET /ops/partners/{id}/floats/{currency}': float,
  'POST /ops/partners/{id}/floats/{currency}/fundings': obj({ entryId: z.string(), float }),
  'GET /ops/partners/{id}/floats/{currency}/statement': statement,
  'GET /ops/routing/rules': items(rule),
  'POST /ops/routing/rules': rule,
  'GET /ops/routing/rules/{id}': rule,
  'PATCH /ops/routing/rules/{id}': rule,
  'GET /ops/routing/scheduled': items(obj({ id: z.string(), action: z.string(), state: z.string() })),
  'GET /ops/audit': obj({ items: z.array(routingAuditEntry), nextAfterSeq: z.number().int().nullable() }),
  'GET /ops/audit/verify': chainVerdict,
  'GET /ops/audit/actions': obj({ items: z.array(opsAuditEntry), nextAfterSeq: z.number().int().nullable() }),
  'GET /ops/audit/actions/verify': chainVerdict,
  'GET /ops/agents': items(agent),
  'POST /ops/agents': agent,
  'GET /ops/agents/{id}': agent,
  'POST /ops/agents/{id}/suspend': agent,
  'POST /ops/agents/{id}/reinstate': agent,
  'PUT /ops/agents/{id}/limits': agent,
  'GET /ops/agents/{id}/terminals': items(terminal),
  'POST /ops/agents/{id}/terminals': terminal.extend({
    key: z.string().describe('the device key: shown once'),
  }),
  'POST /ops/agents/{id}/terminals/{terminalId}/revoke': terminal,
  'PUT /ops/agents/{id}/terminals/{terminalId}/offline-allowance': terminal,
  'GET /ops/agents/{id}/settlements': items(settlement),
  'POST /ops/agents/{id}/settlements': settlement,
  'GET /ops/agents/{id}/count-sheets': items(countSheet),
  'POST /ops/agents/{id}/count-sheets': countSheet,
  'GET /ops/agents/{id}/limit-breaches': items(obj({})),
  'GET /ops/partners/{id}/webhooks': items(obj({ id: z.string(), url: z.string() })),
  'GET /ops/partners/{id}/webhooks/deliveries': items(obj({ id: z.string(), state: z.string() })),
  'GET /ops/partners/{id}/certification/reports': obj({
    reports: z.array(obj({})),
    gate: obj({ readyForLive: z.boolean(), gaps: z.array(z.unknown()) }),
  }),
  'GET /ops/ledger/trial-balance': trialBalance,
  'DELETE /ops/routing/rules/{id}': obj({ deleted: rule.nullable(), auditSeq: z.number().int() }),
  'POST /ops/routing/rules.csv': obj({}).describe('what the import changed: rules created and updated'),
  'POST /ops/routing/dry-run': obj({}).describe('the recent payments the change would have routed elsewhere'),
  'DELETE /ops/routing/scheduled/{id}': obj({ id: z.string(), state: z.string() }),
  'POST /ops/partners/{id}/certification/reports': obj({}).describe(
    'the stored report, its signature checked',
  ),
  'GET /ops/partners/{id}/certification/reports/{reportId}': obj({}).describe(
    'the signed report bytes and what was checked of them',
  ),
  'POST /ops/partners/{id}/webhooks/{subscriptionId}/disable': obj({ id: z.string(), url: z.string() }),
  'POST /ops/agents/{id}/count-sheets/{sheetId}/clear': obj({
    sheetId: z.string(),
    cleared: z.literal(true),
    reinstated: z.boolean(),
    agent,
  }),
};
