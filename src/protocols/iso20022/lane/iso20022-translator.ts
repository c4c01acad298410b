import { createHash } from 'node:crypto';
import type { BillTypeCatalog } from '../../../domain/catalog/bill-types';
import type { UetrClaims } from '../../../domain/idempotency/uetr-claims';
import type { Logger } from '../../../infrastructure/logging/logger';
import type { BillPayPipeline } from '../../../pipeline/bill-pay.pipeline';
import type { ReversalService } from '../../../pipeline/reversal.service';
import type { BuiltAnswer, Clock, Iso20022Engine } from '..';
import type { CreditorDirectory } from './creditor-directory';
import { accepts, type Iso20022Caller, type Iso20022Endpoint, type Iso20022Reply } from './lane-contract';
import { Iso20022Payments } from './payments';
import { refusalOf, wrongMessage } from './refusals';
import { Iso20022Reversals } from './reversals';

export {
  ISO20022_CANCELLATION_SCOPE,
  ISO20022_ENDPOINTS,
  ISO20022_PAYMENT_SCOPE,
  ISO20022_RETURN_SCOPE,
  type Iso20022Caller,
  type Iso20022Endpoint,
  type Iso20022Refusal,
  type Iso20022Reply,
} from './lane-contract';

export interface Iso20022TranslatorDeps {
  readonly engine: Iso20022Engine;
  readonly pipeline: BillPayPipeline;
  readonly reversals: ReversalService;
  readonly billTypes: BillTypeCatalog;
  readonly creditors: CreditorDirectory;
  /** Who each UETR belongs to: a second partner presenting one is refused (RJCT DUPL). */
  readonly uetrs: Pick<UetrClaims, 'claim'>;
  readonly log: Logger;
  readonly clock?: Clock;
  /** How long a transaction waits for a duplicate of itself still in flight before answering ACSP. */
  readonly inFlightWaitMs?: number;
  /** Transactions of one message processed at the same time. */
  readonly concurrency?: number;
  /**
   * The UETR a partner's payment was made under, found by its MsgId and EndToEndId: a payment keyed by
   * UETR can then be returned or cancelled by a message that quotes only those two.
   */
  readonly findOriginalUetr?: (
    partnerId: string,
    msgId: string,
    endToEndId: string,
  ) => Promise<string | undefined>;
}

const SYSTEM_CLOCK: Clock = { now: () => new Date() };

/**
 * Turns ISO 20022 messages into the internal commands and answers in kind: pacs.008 and pain.001 →
 * bill payments answered with pacs.002 / pain.002 (payments.ts), pacs.004 → reversal answered with
 * pacs.002 and camt.056 → reversal answered with camt.029 (reversals.ts); what cannot be taken is
 * refused (refusals.ts). Knows nothing of HTTP: the lane gives it the body and the authenticated
 * partner and sends back what it returns.
 */
export class Iso20022Translator {
  private readonly clock: Clock;
  private readonly payments: Iso20022Payments;
  private readonly reversals: Iso20022Reversals;

  constructor(private readonly d: Iso20022TranslatorDeps) {
    this.clock = d.clock ?? SYSTEM_CLOCK;
    const shared = {
      log: d.log,
      clock: this.clock,
      ...(d.inFlightWaitMs === undefined ? {} : { inFlightWaitMs: d.inFlightWaitMs }),
      ...(d.concurrency === undefined ? {} : { concurrency: d.concurrency }),
    };
    this.payments = new Iso20022Payments({
      ...shared,
      pipeline: d.pipeline,
      billTypes: d.billTypes,
      creditors: d.creditors,
      uetrs: d.uetrs,
    });
    this.reversals = new Iso20022Reversals({
      ...shared,
      reversals: d.reversals,
      ...(d.findOriginalUetr === undefined ? {} : { findOriginalUetr: d.findOriginalUetr }),
    });
  }

  async handle(endpoint: Iso20022Endpoint, body: Uint8Array, caller: Iso20022Caller): Promise<Iso20022Reply> {
    const received = this.d.engine.receive(body);
    if (!received.ok) {
      this.d.log.info(
        { partner: caller.partner.id, endpoint, failure: received.failure.kind },
        'iso20022 message refused',
      );
      return refusalOf(endpoint, received.failure, {
        msgId: answerMsgId(caller, endpoint, body),
        clock: this.clock,
      });
    }
    const m = received.message;
    if (!accepts(endpoint, m.messageType)) return wrongMessage(endpoint, m.messageType);
    const answerId = answerMsgId(caller, endpoint, body);
    let answer: BuiltAnswer;
    switch (m.document.type) {
      case 'pacs.008.001.08':
      case 'pain.001.001.09':
      case 'pain.001.001.03':
        answer = await this.payments.answer(m, caller, answerId);
        break;
      case 'pacs.004.001.09':
        answer = await this.reversals.returns(m, m.document, caller, answerId);
        break;
      case 'camt.056.001.08':
        answer = await this.reversals.cancellations(m, m.document, caller, answerId);
        break;
      default:
        return wrongMessage(endpoint, m.messageType);
    }
    this.d.log.info(
      { partner: caller.partner.id, messageType: m.messageType, answer: answer.msgId },
      'iso20022 message answered',
    );
    return { kind: 'answer', answer };
  }
}

/**
 * The answer's MsgId, derived from who sent what: a byte-identical request gets the same MsgId (and,
 * for payments, the same CreDtTm), so a duplicate is answered byte for byte as the first time.
 */
function answerMsgId(caller: Iso20022Caller, endpoint: Iso20022Endpoint, body: Uint8Array): string {
  const h = createHash('sha256').update(`${caller.partner.id}\n${endpoint}\n`).update(body).digest('hex');
  return `BG${h.slice(0, 32)}`;
}
