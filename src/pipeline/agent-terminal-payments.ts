import type { TerminalPrincipal } from '../domain/agents/terminal-authenticator';
import type { OfflinePayment, TerminalPayOutcome } from '../domain/agents/offline-sync';
import type { BillPayPipeline } from './bill-pay.pipeline';

/**
 * A terminal's payments, online and synced from offline, share one idempotency scope per terminal:
 * a payment that was sent online and also queued (the answer was lost) is posted once.
 */
export function terminalScope(terminalId: string): string {
  return `agent-terminal:${terminalId}`;
}

/**
 * Turns a terminal's payment into the one bill-pay command: the payer is the terminal's own agent
 * (never taken from the payload), the partner the agent's OTC network; an offline item is received
 * at its capture time.
 */
export class AgentTerminalPayments {
  constructor(private readonly pipeline: BillPayPipeline) {}

  async pay(
    who: TerminalPrincipal,
    lane: string,
    item: OfflinePayment,
    paymentId: string,
    channel: 'online' | 'offline',
  ): Promise<TerminalPayOutcome> {
    const outcome = await this.pipeline.pay(
      {
        id: paymentId,
        partnerId: who.partner.id,
        lane,
        protocol: 'rest',
        payerType: 'otc-agent',
        billType: item.billType,
        billReference: item.billReference,
        amountMinor: item.amountMinor,
        currency: item.currency,
        payer: { kind: 'agent', id: who.agent.id },
        partnerReference: item.partnerReference,
        idempotencyKey: item.idempotencyKey,
        receivedAt: item.capturedAt,
        origin: { terminalId: who.terminal.id, channel },
      },
      { scope: terminalScope(who.terminal.id), fingerprint: item.fingerprint },
    );
    switch (outcome.kind) {
      case 'processed':
      case 'replayed':
        return {
          kind: outcome.kind,
          paymentId: outcome.result.paymentId,
          status: outcome.result.status,
          reasonCode: outcome.result.reasonCode,
          billerReceipt: outcome.result.billerReceipt,
        };
      case 'conflict':
      case 'in-flight':
        return { kind: outcome.kind, paymentId: outcome.paymentId };
    }
  }
}
