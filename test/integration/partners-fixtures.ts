/** A complete, valid set of the three schedules. */
export const SCHEDULES = {
  msa: {
    sla: { availabilityPercent: 99.9, p99LatencyMs: 2000, supportHours: '24x7' },
    liabilitySplit: { partnerPercent: 50, bankPercent: 50 },
    auditRights: { noticeDays: 30, scope: 'payment records and security controls' },
  },
  technical: {
    endpoints: [{ lane: 'public-mtls', protocol: 'rest-json' }],
    messageFormats: ['rest-json'],
    retryPolicy: { maxAttempts: 3, backoffMs: 1000, sameIdempotencyKey: true },
    errorMatrix: { INSUFFICIENT_FUNDS: '422 declined', BILLER_TIMEOUT: '201 PENDING' },
    acceptances: { credentialRotationOn24hNotice: true, mandatoryIdempotency: true },
  },
  operational: {
    settlementWindows: [{ cutoff: '16:00', settlesAt: '18:00' }],
    disputeSlaHours: 72,
    reconciliationCadence: 'daily',
    escalationContacts: [{ level: 1, name: 'Ops desk', email: 'ops@partner.example' }],
  },
} as const;
