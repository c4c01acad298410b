import { createHash, createHmac, type X509Certificate } from 'node:crypto';
import { currencyByNumeric } from '../../../domain/money/currency';
import type { LaneContext, PayerRef } from '../../../domain/partners/classify';
import type { Partner } from '../../../domain/partners/partner';
import type { Logger } from '../../../infrastructure/logging/logger';
import type { BillPayResult } from '../../../pipeline/bill-pay-command';
import type { BillPayPipeline } from '../../../pipeline/bill-pay.pipeline';
import type { ReversalOutcome, ReversalService } from '../../../pipeline/reversal.service';
import { untilSettled } from '../../../pipeline/until-settled';
import { IntakeStep } from '../../../pipeline/intake-step';
import { ISO8583_REVERSAL_ANSWERS, reversalEndOf } from '../../reversal-answers';
import { fingerprint } from '../../../domain/idempotency/fingerprint';
import type { Dialect } from '../dialects';
import { Iso8583Error } from '../errors';
import { describeForLog } from '../logging/mask';
import { assertRequiredFields, pack, unpack, unpackPartial, type UnpackedMessage } from '../codec/message';
import type { FieldValue } from '../codec/field';
import {
  APPROVED,
  FORMAT_ERROR,
  INVALID_AMOUNT,
  INVALID_TRANSACTION,
  SYSTEM_MALFUNCTION,
  UNKNOWN_ACQUIRER,
} from './response-codes';

export type Iso8583Answer = { readonly reply: Buffer } | { readonly close: string } | undefined;

export interface Iso8583Peer {
  readonly remoteAddress: string;
  /** The client certificate a mutual-TLS lane received at the handshake. */
  readonly certificate?: X509Certificate;
}

export interface Iso8583FlowsDeps {
  readonly lane: LaneContext;
  readonly dialect: Dialect;
  readonly pipeline: BillPayPipeline;
  readonly reversals: ReversalService;
  /** The partner behind a peer, from the lane's allowlist and, where the lane serves several acquirers, field 32. */
  readonly resolvePartner: (peer: Iso8583Peer, acquirer: string | undefined) => Promise<Partner | undefined>;
  readonly isKnownBillType: (code: string) => Promise<boolean>;
  /** Secret for turning a PAN into a card token: full card numbers are never stored. */
  readonly cardTokenSecret: string;
  readonly log: Logger;
  /** How long a duplicate waits for its original still in flight before giving up without an answer. */
  readonly inFlightWaitMs?: number;
  /** The clock a payment's received-at is read from. */
  readonly now?: () => Date;
}

const FINANCIAL_SCOPE = 'iso8583:financial';
const ECHO_FINANCIAL = [2, 3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 48, 49, 102];
const ECHO_REVERSAL = [2, 3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 49, 90, 102];
const ECHO_NETWORK = [7, 11, 32, 70];

class Refusal extends Error {
  constructor(
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

/**
 * Turns ISO 8583 messages into the internal commands and answers in kind: 0200/0201 bill payment,
 * 0400/0401 reversal, 0420/0421 reversal advice, 0800 network management. Knows the message layout
 * only through the dialect; the pipeline below knows nothing of ISO 8583.
 */
export class Iso8583Flows {
  private readonly intake: IntakeStep;

  constructor(private readonly d: Iso8583FlowsDeps) {
    this.intake = new IntakeStep({
      pipeline: d.pipeline,
      isKnownBillType: d.isKnownBillType,
      ...(d.now === undefined ? {} : { now: d.now }),
      inFlight: { wait: true, ...(d.inFlightWaitMs === undefined ? {} : { maxMs: d.inFlightWaitMs }) },
    });
  }

  async handle(payload: Buffer, peer: Iso8583Peer): Promise<Iso8583Answer> {
    let request: UnpackedMessage;
    try {
      request = unpack(this.d.dialect.spec, payload);
    } catch (error) {
      if (!(error instanceof Iso8583Error)) throw error;
      return this.malformed(payload, peer, error);
    }

    const responseMti = responseMtiOf(request.mti);
    if (responseMti === undefined) {
      this.d.log.warn({ lane: this.d.lane.id, mti: request.mti }, 'iso8583 message that cannot be answered');
      return { close: `unanswerable MTI ${request.mti}` };
    }
    try {
      this.requireFields(request);
      switch (request.mti) {
        case '0200':
        case '0201':
          return await this.billPayment(request, responseMti, peer);
        case '0400':
        case '0401':
        case '0420':
        case '0421':
          return await this.reversal(request, responseMti, peer);
        case '0800':
          return this.networkManagement(request, responseMti);
        default:
          return this.answer(request, responseMti, ECHO_FINANCIAL, INVALID_TRANSACTION);
      }
    } catch (error) {
      if (error instanceof Refusal) {
        this.d.log.info(
          { lane: this.d.lane.id, mti: request.mti, code: error.code, detail: error.message },
          'iso8583 request refused',
        );
        return this.answer(
          request,
          responseMti,
          request.mti.startsWith('04') ? ECHO_REVERSAL : ECHO_FINANCIAL,
          error.code,
        );
      }
      this.d.log.error({ err: error, lane: this.d.lane.id, mti: request.mti }, 'iso8583 request failed');
      return this.answer(request, responseMti, ECHO_FINANCIAL, SYSTEM_MALFUNCTION);
    }
  }

  /**
   * A message the codec refuses. If its MTI and STAN were readable before the fault, the partner can
   * match an answer to it: it gets the response MTI with 39 = 30 and everything readable echoed. If
   * not, nothing can be answered and the connection is closed. Either way the frame is logged in hex,
   * card numbers masked.
   */
  private malformed(payload: Buffer, peer: Iso8583Peer, error: Iso8583Error): Iso8583Answer {
    const partial = unpackPartial(this.d.dialect.spec, payload);
    const mti = partial?.mti;
    const responseMti = mti === undefined ? undefined : responseMtiOf(mti);
    const answerable = mti !== undefined && responseMti !== undefined && partial?.fields.has(11) === true;
    this.d.log.warn(
      {
        lane: this.d.lane.id,
        peer: peer.remoteAddress,
        error: error.message,
        // The failing field and its bytes, as moov-io/iso8583's UnpackError names them; hex only for
        // fields not tagged sensitive (a PAN with bad content is still a PAN).
        ...(error.field !== undefined ? { field: error.field } : {}),
        ...(error.raw !== undefined && this.d.dialect.spec.field(error.field ?? 0)?.sensitive === undefined
          ? { fieldBytes: error.raw.toString('hex') }
          : {}),
        frame: describeForLog(this.d.dialect.spec, payload),
      },
      answerable
        ? 'iso8583 message malformed; answered with a format error'
        : 'iso8583 frame could not be decoded; closing the connection',
    );
    if (!answerable || partial === undefined) return { close: 'undecodable frame' };
    const echo = mti.startsWith('04') ? ECHO_REVERSAL : mti.startsWith('08') ? ECHO_NETWORK : ECHO_FINANCIAL;
    return this.answer({ mti, fields: new Map(partial.fields) }, responseMti, echo, FORMAT_ERROR);
  }

  /** The dialect's required fields for this MTI (a repeat, xx01, is held to its original's list). */
  private requireFields(request: UnpackedMessage): void {
    const base = request.mti.endsWith('1') ? `${request.mti.slice(0, 3)}0` : request.mti;
    try {
      assertRequiredFields(this.d.dialect.spec, { mti: base, fields: request.fields });
    } catch (error) {
      if (error instanceof Iso8583Error) throw new Refusal(FORMAT_ERROR, error.message);
      throw error;
    }
  }

  private async billPayment(
    request: UnpackedMessage,
    responseMti: string,
    peer: Iso8583Peer,
  ): Promise<Iso8583Answer> {
    const processingCode = text(request, 3);
    if (processingCode === undefined || !processingCode.startsWith('50')) {
      throw new Refusal(
        INVALID_TRANSACTION,
        `processing code ${processingCode ?? '(absent)'} is not a bill payment`,
      );
    }
    const stan = required(request, 11);
    const transmission = required(request, 7);
    const rrn = required(request, 37);
    const acquirer = normaliseAcquirer(required(request, 32));
    const currency = currencyByNumeric(required(request, 49));
    if (currency === undefined) throw new Refusal(FORMAT_ERROR, 'unknown currency in field 49');
    const amountMinor = BigInt(required(request, 4));
    if (amountMinor <= 0n) throw new Refusal(INVALID_AMOUNT, 'amount must be positive');
    const raw48 = request.fields.get(48);
    if (!(raw48 instanceof Map)) throw new Refusal(FORMAT_ERROR, 'field 48 with bill data is required');
    const bill: ReadonlyMap<string, string> = raw48;
    const billType = bill.get('01');
    const billReference = bill.get('02');
    if (billType === undefined || billReference === undefined || billReference.trim() === '') {
      throw new Refusal(FORMAT_ERROR, 'field 48 needs sub-elements 01 (bill type) and 02 (bill reference)');
    }
    return this.intake.pay<Iso8583Answer>(
      {
        protocol: 'iso8583',
        lane: this.d.lane,
        billType,
        scope: FINANCIAL_SCOPE,
        idempotencyKey: `${acquirer}:${stan}:${transmission}`,
      },
      async () => {
        const partner = await this.d.resolvePartner(peer, acquirer);
        if (partner === undefined)
          throw new Refusal(UNKNOWN_ACQUIRER, `no partner for acquirer ${acquirer} on this lane`);
        const payer = this.payerOf(request, partner);
        return {
          partner,
          payer,
          billReference: billReference.trim(),
          amountMinor,
          currency: currency.code,
          partnerReference: rrn.trim(),
          origin: {
            mti: request.mti,
            stan,
            transmission,
            acquirer,
            rrn,
            // Where the payment was taken: ops and reconciliation trace a disputed payment to a till.
            ...optional('terminal', text(request, 41)?.trim()),
            ...optional('acceptor', text(request, 42)?.trim()),
            // Field 33, so that a reversal's field 90 can be held to it.
            ...optional('forwarder', normaliseInstitution(text(request, 33) ?? '')),
          },
          content: {
            3: processingCode,
            4: amountMinor.toString(),
            49: currency.numeric,
            37: rrn,
            41: text(request, 41),
            42: text(request, 42),
            payer,
            billType,
            billReference,
          },
        };
      },
      {
        billTypeNotOffered: (code) => {
          throw new Refusal(FORMAT_ERROR, `unknown bill type ${code}`);
        },
        payerTypeNotAllowed: (detail) => {
          throw new Refusal(this.d.dialect.responseCodes.PAYER_TYPE_NOT_ALLOWED, detail);
        },
        settled: (result) => this.answerPayment(request, responseMti, result),
        conflict: () =>
          this.answer(request, responseMti, ECHO_FINANCIAL, this.d.dialect.responseCodes.DUPLICATE_CONFLICT),
        // The original is still being worked on: stay silent, the acquirer repeats (0201).
        inFlight: () => undefined,
      },
    );
  }

  private async reversal(
    request: UnpackedMessage,
    responseMti: string,
    peer: Iso8583Peer,
  ): Promise<Iso8583Answer> {
    const stan = required(request, 11);
    const transmission = required(request, 7);
    const acquirer = normaliseAcquirer(required(request, 32));
    const original = required(request, 90);
    if (!/^\d{42}$/.test(original)) throw new Refusal(FORMAT_ERROR, 'field 90 must be 42 digits');
    // Field 90: original MTI, STAN, transmission time (7), acquirer (32) and forwarder (33). STAN,
    // time and acquirer make the original's key; MTI and forwarder are checked against what it carried.
    const originalMti = original.slice(0, 4);
    const originalStan = original.slice(4, 10);
    const originalTransmission = original.slice(10, 20);
    const originalAcquirer = normaliseAcquirer(original.slice(20, 31));
    const originalForwarder = normaliseInstitution(original.slice(31, 42));
    const partner = await this.d.resolvePartner(peer, acquirer);
    if (partner === undefined)
      throw new Refusal(UNKNOWN_ACQUIRER, `no partner for acquirer ${acquirer} on this lane`);
    const amount = text(request, 4);

    const advice = request.mti.startsWith('042');
    const outcome = await untilSettled(this.d.inFlightWaitMs, () =>
      this.d.reversals.reverse({
        partnerId: partner.id,
        original: {
          scope: FINANCIAL_SCOPE,
          key: `${originalAcquirer}:${originalStan}:${originalTransmission}`,
        },
        reversal: {
          scope: advice ? 'iso8583:reversal-advice' : 'iso8583:reversal',
          key: `${acquirer}:${stan}:${transmission}`,
        },
        fingerprint: fingerprint({ 90: original, 4: amount, 3: text(request, 3) }),
        reason: `${request.mti} reversal`,
        advice,
        originalMatches: (origin) =>
          origin.mti !== undefined &&
          requestClass(origin.mti) === requestClass(originalMti) &&
          (origin.forwarder ?? '') === originalForwarder,
        ...(amount !== undefined ? { amountMinor: BigInt(amount) } : {}),
      }),
    );
    return this.answer(request, responseMti, ECHO_REVERSAL, this.reversalCode(outcome));
  }

  /** Field 39 for how the reversal ended: the shared reversal table's ISO 8583 column, in this dialect. */
  private reversalCode(outcome: ReversalOutcome): string {
    const answer = ISO8583_REVERSAL_ANSWERS[reversalEndOf(outcome)];
    switch (answer) {
      case 'APPROVED':
        return APPROVED;
      case 'UNKNOWN_ORIGINAL':
        return this.d.dialect.conventions.reversalUnknownOriginal;
      case 'SYSTEM_MALFUNCTION':
        return SYSTEM_MALFUNCTION;
      case 'INVALID_AMOUNT':
        return INVALID_AMOUNT;
      case 'DUPLICATE_CONFLICT':
        return this.d.dialect.responseCodes.DUPLICATE_CONFLICT;
    }
  }

  private networkManagement(request: UnpackedMessage, responseMti: string): Iso8583Answer {
    const code = text(request, 70);
    const nm = this.d.dialect.conventions.networkManagement;
    const known = code === nm.signOn || code === nm.signOff || code === nm.echo;
    return this.answer(request, responseMti, ECHO_NETWORK, known ? APPROVED : INVALID_TRANSACTION);
  }

  private answerPayment(request: UnpackedMessage, responseMti: string, result: BillPayResult): Iso8583Answer {
    const code = this.d.dialect.responseCodes[result.reasonCode];
    const extra = new Map<number, FieldValue>();
    if (result.status === 'APPROVED') extra.set(38, approvalCode(result.paymentId));
    return this.answer(request, responseMti, ECHO_FINANCIAL, code, extra);
  }

  /** The response: the request's matching fields echoed, field 39, and any extras the spec knows. */
  private answer(
    request: UnpackedMessage,
    responseMti: string,
    echo: readonly number[],
    code: string,
    extra: ReadonlyMap<number, FieldValue> = new Map(),
  ): Iso8583Answer {
    const fields = new Map<number, FieldValue>();
    for (const n of echo) {
      const v = request.fields.get(n);
      if (v !== undefined) fields.set(n, v);
    }
    for (const [n, v] of extra) fields.set(n, v);
    fields.set(39, code);
    return { reply: pack(this.d.dialect.spec, { mti: responseMti, fields }) };
  }

  private payerOf(request: UnpackedMessage, partner: Partner): PayerRef {
    const account = text(request, 102)?.trim();
    const pan = text(request, 2);
    if (account !== undefined && account !== '') {
      switch (partner.kind) {
        case 'bank':
          return { kind: 'account', id: account };
        case 'otc-network':
          return { kind: 'agent', id: account };
        default:
          return { kind: 'wallet', id: account };
      }
    }
    if (pan !== undefined) return { kind: 'card-token', id: this.cardToken(pan) };
    throw new Refusal(FORMAT_ERROR, 'field 102 (payer account or wallet) or field 2 is required');
  }

  private cardToken(pan: string): string {
    return `pan_${createHmac('sha256', this.d.cardTokenSecret).update(pan).digest('base64url').slice(0, 27)}`;
  }
}

/** 0200 → 0210, 0201 → 0210, 0400/0401 → 0410, 0420/0421 → 0430, 0800 → 0810; responses get none. */
export function responseMtiOf(mti: string): string | undefined {
  if (!/^\d{4}$/.test(mti)) return undefined;
  const fn = Number(mti[2]);
  if (fn % 2 === 1) return undefined;
  return `${mti.slice(0, 2)}${fn + 1}0`;
}

function text(message: UnpackedMessage, n: number): string | undefined {
  const v = message.fields.get(n);
  return typeof v === 'string' ? v : undefined;
}

function required(message: UnpackedMessage, n: number): string {
  const v = text(message, n);
  if (v === undefined || v.length === 0) throw new Refusal(FORMAT_ERROR, `field ${n} is required`);
  return v;
}

/** Field 32 arrives as sent (n..11) but inside field 90 zero-padded to 11: compare without leading zeros. */
function normaliseAcquirer(value: string): string {
  return value.replace(/^0+(?=.)/, '');
}

/** An institution id (32, 33) without leading zeros; all zeros (field 90's "none") is empty. */
function normaliseInstitution(value: string): string {
  return value.replace(/^0+/, '');
}

/** An MTI with its repeat digit cleared: an original sent as 0201 is the 0200 its reversal names. */
function requestClass(mti: string): string {
  return /^\d{4}$/.test(mti)
    ? `${mti.slice(0, 3)}${Number(mti[3]) % 2 === 1 ? Number(mti[3]) - 1 : mti[3]}`
    : mti;
}

/** Field 38: six characters derived from the payment id, so a replayed answer carries the same code. */
function approvalCode(paymentId: string): string {
  return createHash('sha256').update(paymentId).digest('hex').slice(0, 6).toUpperCase();
}

function optional(key: string, value: string | undefined): Record<string, string> {
  return value === undefined || value === '' ? {} : { [key]: value };
}
