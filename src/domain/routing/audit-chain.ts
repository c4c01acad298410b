import { createHash } from 'node:crypto';
import { HashChainVerifier, canonicalJson } from '../audit/hash-chain';
import type { RuleAction } from './routing-rule';

export { GENESIS_HASH, canonicalJson, type ChainProblem, type ChainVerdict } from '../audit/hash-chain';

/*
 * The routing audit log is a hash chain: entry n carries the hash of entry n-1, and its own hash is
 * sha256 over a canonical serialisation of everything it says, its sequence number included. An
 * entry altered behind the application's back no longer matches its hash; an entry removed leaves a
 * gap in the sequence; the newest entries removed disagree with the chain head.
 */

export interface AuditEntryContent {
  readonly seq: bigint;
  readonly at: Date;
  readonly actor: string;
  readonly action: RuleAction;
  readonly ruleId: string;
  readonly reason: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly scheduledChangeId: string | null;
  readonly prevHash: string;
}

export interface AuditEntry extends AuditEntryContent {
  readonly hash: string;
}

export function hashEntry(e: AuditEntryContent): string {
  const text = canonicalJson({
    seq: e.seq.toString(),
    at: e.at.toISOString(),
    actor: e.actor,
    action: e.action,
    ruleId: e.ruleId,
    reason: e.reason,
    before: e.before ?? null,
    after: e.after ?? null,
    scheduledChangeId: e.scheduledChangeId,
    prevHash: e.prevHash,
  });
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Checks routing audit entries fed in ascending sequence order; stops at the first break. */
export class ChainVerifier extends HashChainVerifier<AuditEntry> {
  constructor() {
    super(hashEntry);
  }
}
