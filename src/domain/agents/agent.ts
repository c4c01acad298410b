/** Refusals of the agent network, each mapped once to an answer by the lanes. */
export type AgentProblemKind = 'not-found' | 'conflict' | 'invalid';

export class AgentProblem extends Error {
  constructor(
    readonly kind: AgentProblemKind,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
    this.name = 'AgentProblem';
  }
}

export type AgentStatus = 'active' | 'suspended';

export interface Agent {
  readonly id: string;
  readonly partnerId: string;
  readonly region: string;
  readonly status: AgentStatus;
  readonly suspensionReason: string | null;
  readonly currency: string;
  /** Most cash the agent may hold for the bank before it settles, minor units. */
  readonly cashLimitMinor: bigint;
  /** Cash collected and not yet settled, minor units (the limit's counter). */
  readonly unsettledMinor: bigint;
  /** A count sheet whose variance exceeds this (in absolute value) suspends the agent. */
  readonly varianceThresholdMinor: bigint;
  readonly cashAccountId: string;
  readonly createdAt: Date;
}

export interface Terminal {
  readonly id: string;
  readonly agentId: string;
  readonly label: string;
  readonly status: 'active' | 'revoked';
  readonly keyHint: string;
  readonly revokedAt: Date | null;
  readonly offlineMaxCount: number;
  readonly offlineMaxTotalMinor: bigint;
  readonly createdAt: Date;
}

export function agentCashAccountId(agentId: string): string {
  return `agent-cash:${agentId}`;
}

/** The bank's own cash (branch vaults) into which agents settle, one account per currency. */
export function bankCashAccountId(currency: string): string {
  return `cash:bank:${currency}`;
}
