import { fingerprint } from '../domain/idempotency/fingerprint';
import { uuidv7 } from '../domain/ids';
import { classifyPayer, type LaneContext, type PayerRef } from '../domain/partners/classify';
import type { Partner } from '../domain/partners/partner';
import type { BillPayCommand, BillPayResult, PayOutcome, Protocol } from './bill-pay-command';
import type { BillPayPipeline } from './bill-pay.pipeline';
import { untilSettled } from './until-settled';

export interface IntakeStepDeps {
  readonly pipeline: Pick<BillPayPipeline, 'pay'>;
  readonly isKnownBillType: (code: string) => Promise<boolean>;
  /** The translator's clock: the command's received-at. */
  readonly now?: () => Date;
  /**
   * A repeat of a request still in flight: answered at once as in flight (REST says 409), or asked
   * again until the original settles, up to maxMs (protocols that cannot say "in flight").
   */
  readonly inFlight: { readonly wait: false } | { readonly wait: true; readonly maxMs?: number };
}

/** What the translator read before the step: enough to check the bill type and key the request. */
export interface IntakeRequest {
  readonly protocol: Protocol;
  readonly lane: LaneContext;
  readonly billType: string;
  /** The idempotency scope (per partner) and the key within it. */
  readonly scope: string;
  readonly idempotencyKey: string;
}

/** The rest of the command, read by the translator once the bill type is known to be offered. */
export interface IntakeDetails {
  readonly partner: Partner;
  readonly payer: PayerRef;
  readonly billReference: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly partnerReference: string;
  readonly origin: Readonly<Record<string, string>>;
  /** The request's content that makes a repeat "the same request" under its key (fingerprinted). */
  readonly content: unknown;
}

/** The translator's answer for each way the step can end, in its own protocol. */
export interface IntakeAnswers<A> {
  readonly billTypeNotOffered: (billType: string) => A;
  readonly payerTypeNotAllowed: (detail: string) => A;
  readonly settled: (result: BillPayResult, replayed: boolean) => A;
  /** The key was used for a different request. */
  readonly conflict: () => A;
  /** The key's original request is still being processed. */
  readonly inFlight: () => A;
  /**
   * A last check of the finished command before the pipeline sees it (ISO 20022 claims the UETR
   * here); a refusal is answered as is and nothing is posted.
   */
  readonly beforePay?: (command: BillPayCommand) => Promise<{ readonly refused: A } | undefined>;
}

/**
 * The one intake of a bill payment, shared by the REST, ISO 8583 and ISO 20022 translators: the bill
 * type is offered, the payer type is classified at the edge, the command gets its id, its received-at
 * from the translator's clock and its fingerprint, the pipeline settles it (waiting out a repeat of a
 * request in flight where the protocol needs that), and the outcome is handed to the translator.
 */
export class IntakeStep {
  private readonly now: () => Date;

  constructor(private readonly d: IntakeStepDeps) {
    this.now = d.now ?? (() => new Date());
  }

  async pay<A>(
    req: IntakeRequest,
    details: () => IntakeDetails | { readonly refused: A } | Promise<IntakeDetails | { readonly refused: A }>,
    answers: IntakeAnswers<A>,
  ): Promise<A> {
    if (!(await this.d.isKnownBillType(req.billType))) return answers.billTypeNotOffered(req.billType);
    const read = await details();
    if ('refused' in read) return read.refused;
    const classified = classifyPayer(read.partner, req.lane, read.payer);
    if (!classified.ok) return answers.payerTypeNotAllowed(classified.detail);

    const command: BillPayCommand = {
      id: uuidv7(),
      partnerId: read.partner.id,
      lane: req.lane.id,
      protocol: req.protocol,
      payerType: classified.payerType,
      billType: req.billType,
      billReference: read.billReference,
      amountMinor: read.amountMinor,
      currency: read.currency,
      payer: read.payer,
      partnerReference: read.partnerReference,
      idempotencyKey: req.idempotencyKey,
      receivedAt: this.now(),
      origin: read.origin,
    };
    const refused = await answers.beforePay?.(command);
    if (refused !== undefined) return refused.refused;
    const idempotency = { scope: req.scope, fingerprint: fingerprint(read.content) };
    const attempt = (): Promise<PayOutcome> => this.d.pipeline.pay(command, idempotency);
    const outcome = this.d.inFlight.wait
      ? await untilSettled(this.d.inFlight.maxMs, attempt)
      : await attempt();
    switch (outcome.kind) {
      case 'processed':
        return answers.settled(outcome.result, false);
      case 'replayed':
        return answers.settled(outcome.result, true);
      case 'conflict':
        return answers.conflict();
      case 'in-flight':
        return answers.inFlight();
    }
  }
}
