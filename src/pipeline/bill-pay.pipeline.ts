import type { Db, Tx } from '../domain/db';
import type { BillerClient } from '../domain/billers/biller-client';
import type { BillerDirectory } from '../domain/billers/biller-directory';
import type { Ledger } from '../domain/ledger/ledger';
import type { FloatPaymentWriter } from '../domain/posting/float-payment-writer';
import type { IdempotencyRepository, IdempotencyScope } from '../domain/idempotency/idempotency.repository';
import type { Payment } from '../domain/payments/payment';
import type { PaymentFinisher } from '../domain/payments/payment-finisher';
import type { PaymentIntake } from '../domain/payments/payment-intake';
import type { CoreBankingPostingWriter } from '../domain/posting/core-banking-posting-writer';
import type { NewPayment, PaymentChange, PaymentsRepository } from '../domain/payments/payments.repository';
import type { AgentEngine } from '../domain/posting/agent-engine';
import type { AgentBankingCoreClient } from '../domain/agents/agent-banking-core-client';
import type { CoreBankingEngine } from '../domain/posting/core-banking-engine';
import type { FloatEngine } from '../domain/posting/float-engine';
import {
  floatAccountId,
  PostingDeclined,
  type EngineKind,
  type PostingRequest,
} from '../domain/posting/posting-engine';
import type { ReasonCode } from '../domain/reason-codes';
import type { Route } from '../domain/routing/route';
import type { RouteResolver } from '../domain/routing/route-resolver';
import type { Logger } from '../infrastructure/logging/logger';
import type { Metrics } from '../infrastructure/metrics/metrics';
import type { BillPayCommand, IdempotencyContext, PayOutcome } from './bill-pay-command';
import { deserialiseResult, resultOf, serialiseResult } from './bill-pay-result';
import type { EarlyReversals } from './early-reversals';
import { DurableOutcomes } from './durable-outcome';
import { engineOf } from './posting-reversal';
import { collectionOf } from './resolution/payment-resolver';
import type { FollowUps } from './resolution/follow-ups';
import { NOTHING_OWED, type PostingUndo, type UndoOwed } from './posting-undo';
import { PaymentsRepository as Payments } from '../domain/payments/payments.repository';

export interface PipelineDeps {
  readonly db: Db;
  readonly routes: RouteResolver;
  readonly idempotency: IdempotencyRepository;
  readonly payments: PaymentsRepository;
  readonly floatEngine: FloatEngine;
  readonly agentEngine: AgentEngine;
  readonly coreBanking: CoreBankingEngine;
  readonly billers: BillerClient;
  readonly billerDirectory: BillerDirectory;
  readonly ledger: Ledger;
  readonly floatWriter: FloatPaymentWriter;
  readonly finisher: PaymentFinisher;
  readonly intake: PaymentIntake;
  readonly coreBankingPostings: CoreBankingPostingWriter;
  /** The agent banking core each cash collection is posted to; absent, our ledger alone records it. */
  readonly agentCore?: AgentBankingCoreClient;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly now?: () => Date;
  /** Reversals that overtook their original: such an original is declined, never posted. */
  readonly earlyReversals?: EarlyReversals;
  /** Retries the writes that follow a posting through a database outage (see DurableOutcomes). */
  readonly outcomes?: DurableOutcomes;
  /** Where a PENDING payment gets its resolution, in the same transaction (src/pipeline/resolution). */
  readonly followUps: FollowUps;
  /** Undoes a declined payment's posting with what that owes outside (refund, agent-core reversal). */
  readonly undo: PostingUndo;
}

type Begun =
  | { readonly kind: 'outcome'; readonly outcome: PayOutcome }
  | {
      readonly kind: 'posted';
      readonly payment: Payment;
      readonly route: Route;
      readonly engine: EngineKind;
    }
  | {
      readonly kind: 'needs-core-banking';
      readonly payment: Payment;
      readonly route: Route;
      /** Recorded through the batched writers (see beginOnCoreBanking), not in a transaction. */
      readonly batched: boolean;
    };

/**
 * The bill-pay pipeline: idempotency → route → post → biller → answer, knowing no protocol.
 *
 * Each step that changes state commits the payment's state, its ledger entries and its idempotency
 * record in one transaction (atomic phases), so a crash between steps leaves a record that says
 * exactly how far the payment got. Calls to parties outside the bank happen between transactions,
 * never inside one.
 */
export class BillPayPipeline {
  private readonly now: () => Date;
  private readonly outcomes: DurableOutcomes;

  constructor(private readonly d: PipelineDeps) {
    this.now = d.now ?? (() => new Date());
    this.outcomes = d.outcomes ?? new DurableOutcomes({ log: d.log });
  }

  async pay(cmd: BillPayCommand, idem: IdempotencyContext): Promise<PayOutcome> {
    const started = process.hrtime.bigint();
    const log = this.d.log.child({ paymentId: cmd.id, partner: cmd.partnerId, protocol: cmd.protocol });
    const outcome = await this.execute(cmd, idem, log);
    this.observe(cmd, outcome, started);
    if (outcome.kind === 'processed') {
      log.info(
        { status: outcome.result.status, reason: outcome.result.reasonCode, billType: cmd.billType },
        'bill payment finished',
      );
    } else {
      log.info({ idempotency: outcome.kind }, 'bill payment answered from idempotency record');
    }
    return outcome;
  }

  private async execute(cmd: BillPayCommand, idem: IdempotencyContext, log: Logger): Promise<PayOutcome> {
    const key: IdempotencyScope = { partnerId: cmd.partnerId, scope: idem.scope, key: cmd.idempotencyKey };
    const route = await this.d.routes.resolve({
      billType: cmd.billType,
      payerType: cmd.payerType,
      partnerId: cmd.partnerId,
    });

    const begun = await this.begin(cmd, idem, key, route);
    if (begun.kind === 'outcome') {
      if (begun.outcome.kind !== 'conflict' || this.d.earlyReversals === undefined) return begun.outcome;
      const declined = newPayment(cmd, route, 'DECLINED', 'REVERSED_BEFORE_ARRIVAL');
      return (
        (await this.d.earlyReversals.declineLateOriginal(key, idem.fingerprint, declined, this.now())) ??
        begun.outcome
      );
    }

    let payment = begun.payment;
    const req = postingRequest(cmd, begun.route);

    if (begun.kind === 'needs-core-banking') {
      const answer = await this.d.coreBanking.debitCustomer(req);
      if (answer.outcome !== 'debited') {
        const reason: ReasonCode =
          answer.outcome === 'refused'
            ? answer.reason
            : answer.outcome === 'unavailable'
              ? 'CORE_BANKING_UNAVAILABLE'
              : 'CORE_BANKING_TIMEOUT';
        if (answer.outcome !== 'refused') log.warn({ detail: answer.detail }, 'core banking did not debit');
        if (answer.outcome === 'unknown') return this.pending(key, payment, reason);
        return this.finish(key, payment, { state: 'DECLINED', reasonCode: reason });
      }
      // Core banking has debited the customer: recording it must survive a database outage.
      const debited = payment;
      payment = await this.outcomes.write(
        payment.id,
        'core-banking posting',
        () => this.recordCoreBankingDebit(debited, req, answer.reference, begun.batched),
        () => this.postedAlready(debited.id),
      );
    }

    if (begun.kind === 'posted' && begun.engine === 'agent-banking' && this.d.agentCore !== undefined) {
      const refused = await this.recordAtAgentCore(key, payment, log);
      if (refused !== undefined) return refused;
    }

    const endpoint =
      (await this.d.billerDirectory.get(begun.route.billerEndpoint.id)) ?? begun.route.billerEndpoint;
    const billerAnswer = await this.d.billers.pay(endpoint, {
      paymentId: payment.id,
      billType: cmd.billType,
      billReference: cmd.billReference,
      amountMinor: cmd.amountMinor,
      currency: cmd.currency,
    });

    switch (billerAnswer.outcome) {
      case 'paid':
        return this.finish(key, payment, {
          state: 'APPROVED',
          reasonCode: 'APPROVED',
          billerReceipt: billerAnswer.receipt,
        });
      case 'unknown':
        log.warn({ detail: billerAnswer.detail }, 'biller outcome unknown; payment pending until resolved');
        return this.pending(key, payment, 'BILLER_TIMEOUT');
      case 'declined':
      case 'unavailable': {
        const reason: ReasonCode =
          billerAnswer.outcome === 'declined' ? billerAnswer.reason : 'BILLER_UNAVAILABLE';
        return this.declinePosted(
          key,
          payment,
          reason,
          `biller declined payment ${payment.id}: ${billerAnswer.detail}`,
        );
      }
    }
  }

  /**
   * Posts the cash collection to the agent banking core after our ledger holds it (and the agent's
   * limit). A refusal or an unreachable core reverses our posting and declines; no answer in time
   * leaves the payment pending with the cash held (the core deduplicates on the payment id, so it
   * can be asked again). Undefined when the core recorded it.
   */
  private async recordAtAgentCore(
    key: IdempotencyScope,
    payment: Payment,
    log: Logger,
  ): Promise<PayOutcome | undefined> {
    const core = this.d.agentCore;
    if (core === undefined) return undefined;
    const answer = await core.record(collectionOf(payment));
    if (answer.outcome === 'recorded') return undefined;
    log.warn({ agentCore: answer.outcome, detail: answer.detail }, 'agent banking core did not record');
    if (answer.outcome === 'unknown') return this.pending(key, payment, 'CORE_BANKING_TIMEOUT');
    const reason: ReasonCode = answer.outcome === 'refused' ? 'AGENT_NOT_FOUND' : 'CORE_BANKING_UNAVAILABLE';
    // The core never recorded the collection: only our ledger has something to undo.
    return this.declinePosted(key, payment, reason, `agent banking core: ${answer.detail}`, {
      agentCoreHasNothing: true,
    });
  }

  /**
   * PENDING, with its resolution (a `payment.resolve` job) enqueued in the same transaction: no crash
   * can leave a pending payment without an owner and a next check.
   */
  private pending(key: IdempotencyScope, payment: Payment, reason: ReasonCode): Promise<PayOutcome> {
    return this.finish(key, payment, { state: 'PENDING', reasonCode: reason }, async (tx) => {
      await this.d.followUps.resolveLater(tx, payment.id, this.now());
    });
  }

  /**
   * Declines a payment our ledger holds: the reversing journal, the refund owed to a bank customer and
   * the agent-core reversal to forward commit with the decline; core banking and the agent banking
   * core are asked only after that commit (issue 10, item 2: a refund never races its reversal).
   */
  private async declinePosted(
    key: IdempotencyScope,
    payment: Payment,
    reason: ReasonCode,
    memo: string,
    options: { readonly agentCoreHasNothing?: boolean } = {},
  ): Promise<PayOutcome> {
    let owed: UndoOwed = NOTHING_OWED;
    const declined = await this.finish(
      key,
      payment,
      { state: 'DECLINED', reasonCode: reason },
      async (tx) => {
        owed = await this.d.undo.inTx(tx, payment, memo, options);
      },
    );
    await this.d.undo.afterCommit(payment.id, owed);
    return declined;
  }

  /** Phase one: claim the idempotency key and record the payment (posting it when the engine is ours). */
  private async begin(
    cmd: BillPayCommand,
    idem: IdempotencyContext,
    key: IdempotencyScope,
    route: Route | undefined,
  ): Promise<Begun> {
    const now = this.now();
    // The engine is chosen once, here; the batched writers are its fast paths.
    const engine = engineOf(this.d, cmd.payerType);
    if (route !== undefined && routeProblem(cmd, route) === undefined && (await this.batchable(route))) {
      if (engine.kind === 'mfs-float') {
        const fast = await this.beginOnFloat(cmd, idem, key, route, now);
        if (fast !== undefined) return fast;
      } else if (engine.kind === 'core-banking') {
        return this.beginOnCoreBanking(cmd, idem, key, route, now);
      }
    }
    try {
      return await this.d.db.transaction().execute(async (tx) => {
        const claimed = await this.d.idempotency.begin(tx, key, idem.fingerprint, cmd.id, now);
        if (claimed.kind !== 'new') return { kind: 'outcome', outcome: fromExisting(claimed) };

        const decline = routeProblem(cmd, route);
        if (decline !== undefined || route === undefined) {
          const payment = await this.insertPayment(tx, cmd, route, 'DECLINED', decline ?? 'NO_ROUTE');
          return { kind: 'outcome', outcome: await this.complete(tx, key, payment) };
        }
        if (engine.kind === 'core-banking') {
          // Core banking debits first, outside any transaction; its engine records the debit after.
          const payment = await this.insertPayment(tx, cmd, route, 'RECEIVED', 'APPROVED');
          return { kind: 'needs-core-banking', payment, route, batched: false };
        }
        const payment = await this.insertPayment(tx, cmd, route, 'POSTED', 'APPROVED');
        await engine.post(tx, postingRequest(cmd, route));
        return { kind: 'posted', payment, route, engine: engine.kind };
      });
    } catch (error) {
      if (!(error instanceof PostingDeclined)) throw error;
      // The posting transaction is gone; record the refusal on its own, claiming the key afresh.
      return this.d.db.transaction().execute(async (tx) => {
        const claimed = await this.d.idempotency.begin(tx, key, idem.fingerprint, cmd.id, now);
        if (claimed.kind !== 'new') return { kind: 'outcome', outcome: fromExisting(claimed) };
        const payment = await this.insertPayment(tx, cmd, route, 'DECLINED', error.reason);
        return { kind: 'outcome', outcome: await this.complete(tx, key, payment) };
      });
    }
  }

  /**
   * The batched writers keep no stored balance for the route's settlement account; one with a floor
   * (not the usual set-up) goes through the ledger's transactional posting instead.
   */
  private async batchable(route: Route): Promise<boolean> {
    const settlement = await this.d.ledger.account(this.d.db, route.settlementAccount.id);
    return settlement !== undefined && !settlement.guarded;
  }

  /** Claims the key and records the payment RECEIVED, batched with concurrent payments (PaymentIntake). */
  private async beginOnCoreBanking(
    cmd: BillPayCommand,
    idem: IdempotencyContext,
    key: IdempotencyScope,
    route: Route,
    now: Date,
  ): Promise<Begun> {
    const record = { ...newPayment(cmd, route, 'RECEIVED', 'APPROVED'), createdAt: now };
    const claimed = await this.d.intake.claim({
      payment: record,
      idempotency: { ...key, fingerprint: idem.fingerprint, expiresAt: this.d.idempotency.expiryFrom(now) },
    });
    if (!claimed) {
      return {
        kind: 'outcome',
        outcome: fromExisting(await this.d.idempotency.existing(this.d.db, key, idem.fingerprint)),
      };
    }
    return { kind: 'needs-core-banking', payment: paymentOf(record), route, batched: true };
  }

  /**
   * The float engine's one-statement path (see FloatPaymentWriter). Undefined when the partner holds
   * no float in this currency: the transactional path then records the precise refusal.
   */
  private async beginOnFloat(
    cmd: BillPayCommand,
    idem: IdempotencyContext,
    key: IdempotencyScope,
    route: Route,
    now: Date,
  ): Promise<Begun | undefined> {
    const floatAccount = floatAccountId(cmd.partnerId, cmd.currency);
    const account = await this.d.ledger.account(this.d.db, floatAccount);
    if (account === undefined || !account.guarded || account.currency !== cmd.currency) return undefined;
    const record = { ...newPayment(cmd, route, 'POSTED', 'APPROVED'), createdAt: now };
    const posted = paymentOf(record);
    const declined: Payment = { ...posted, state: 'DECLINED', reasonCode: 'INSUFFICIENT_FUNDS' };
    const written = await this.d.floatWriter.write({
      payment: record,
      idempotency: { ...key, fingerprint: idem.fingerprint, expiresAt: this.d.idempotency.expiryFrom(now) },
      floatAccount,
      settlementAccount: route.settlementAccount.id,
      declinedResult: serialiseResult(resultOf(declined)),
    });
    switch (written) {
      case 'posted':
        return { kind: 'posted', payment: posted, route, engine: 'mfs-float' };
      case 'declined':
        return { kind: 'outcome', outcome: { kind: 'processed', result: resultOf(declined) } };
      case 'duplicate':
        return {
          kind: 'outcome',
          outcome: fromExisting(await this.d.idempotency.existing(this.d.db, key, idem.fingerprint)),
        };
    }
  }

  private insertPayment(
    tx: Tx,
    cmd: BillPayCommand,
    route: Route | undefined,
    state: 'RECEIVED' | 'POSTED' | 'DECLINED',
    reasonCode: ReasonCode,
  ): Promise<Payment> {
    return this.d.payments.insert(tx, newPayment(cmd, route, state, reasonCode));
  }

  private async recordCoreBankingDebit(
    payment: Payment,
    req: PostingRequest,
    reference: string,
    batched: boolean,
  ): Promise<Payment> {
    if (batched) {
      await this.d.coreBankingPostings.record({
        paymentId: payment.id,
        amountMinor: payment.amountMinor,
        currency: payment.currency,
        settlementAccount: req.settlementAccount,
        coreBankingRef: reference,
      });
      return { ...payment, state: 'POSTED', reasonCode: 'APPROVED', coreBankingRef: reference };
    }
    return this.d.db.transaction().execute(async (tx) => {
      await this.d.coreBanking.post(tx, req);
      return this.d.payments.update(tx, payment.id, {
        state: 'POSTED',
        reasonCode: 'APPROVED',
        coreBankingRef: reference,
      });
    });
  }

  /** The payment as recorded, if its posting journal was written (an attempt whose answer was lost). */
  private async postedAlready(paymentId: string): Promise<Payment | undefined> {
    const journal = await this.d.db
      .selectFrom('journal_entries')
      .select('id')
      .where('payment_id', '=', paymentId)
      .where('kind', '=', 'payment')
      .executeTakeFirst();
    return journal === undefined ? undefined : this.d.payments.findById(this.d.db, paymentId);
  }

  /**
   * The payment's last write: its final state and the key's answer. Money has moved by now, so a
   * database outage here is waited out (DurableOutcomes) and a retry with the key then gets this
   * outcome, never a second posting.
   */
  private finish(
    key: IdempotencyScope,
    payment: Payment,
    change: PaymentChange,
    inTx?: (tx: Tx) => Promise<void>,
  ): Promise<PayOutcome> {
    return this.outcomes.write(
      payment.id,
      'finish',
      () => this.finishOnce(key, payment, change, inTx),
      async () => {
        const stored = await this.d.idempotency.completedResult(this.d.db, key);
        return stored === undefined ? undefined : { kind: 'processed', result: deserialiseResult(stored) };
      },
    );
  }

  private async finishOnce(
    key: IdempotencyScope,
    payment: Payment,
    change: PaymentChange,
    inTx?: (tx: Tx) => Promise<void>,
  ): Promise<PayOutcome> {
    if (inTx === undefined) {
      // Only the payment's state and its idempotency record change: one statement does both (atomic
      // without a transaction), shared with the other payments finishing at the same moment.
      const updated: Payment = {
        ...payment,
        state: change.state,
        reasonCode: change.reasonCode,
        billerReceipt: change.billerReceipt ?? payment.billerReceipt,
        coreBankingRef: change.coreBankingRef ?? payment.coreBankingRef,
      };
      const result = resultOf(updated);
      if (await this.d.finisher.finish({ id: payment.id, change, key, result: serialiseResult(result) })) {
        return { kind: 'processed', result };
      }
      return this.decidedElsewhere(key, payment.id);
    }
    const decided = await this.d.db.transaction().execute(async (tx) => {
      await this.d.idempotency.lock(tx, key);
      // Decided meanwhile (its resolution, a reversal, ops, after the sweep took the key from a node it
      // thought dead): that decision stands, and nothing here may undo or redo its ledger effects.
      if (!Payments.isUndecided(await this.d.payments.lockState(tx, payment.id))) return undefined;
      await inTx(tx);
      const updated = await this.d.payments.update(tx, payment.id, change);
      return this.complete(tx, key, updated);
    });
    return decided ?? this.decidedElsewhere(key, payment.id);
  }

  /** The answer a payment decided by another path gives: what its key holds. */
  private async decidedElsewhere(key: IdempotencyScope, paymentId: string): Promise<PayOutcome> {
    this.d.log.warn({ paymentId }, 'payment decided by another path meanwhile; its outcome stands');
    const stored = await this.d.idempotency.completedResult(this.d.db, key);
    if (stored === undefined) throw new Error(`payment ${paymentId}: its idempotency record vanished`);
    return { kind: 'processed', result: deserialiseResult(stored) };
  }

  private async complete(tx: Tx, key: IdempotencyScope, payment: Payment): Promise<PayOutcome> {
    const result = resultOf(payment);
    await this.d.idempotency.complete(tx, key, serialiseResult(result), this.now());
    return { kind: 'processed', result };
  }

  private observe(cmd: BillPayCommand, outcome: PayOutcome, started: bigint): void {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (outcome.kind === 'processed') {
      const { status, reasonCode } = outcome.result;
      this.d.metrics.payments.inc({
        partner: cmd.partnerId,
        protocol: cmd.protocol,
        status,
        reason: reasonCode,
      });
      this.d.metrics.paymentLatency.observe(
        { partner: cmd.partnerId, protocol: cmd.protocol, status },
        seconds,
      );
      this.d.metrics.idempotency.inc({ partner: cmd.partnerId, outcome: 'new' });
    } else {
      this.d.metrics.idempotency.inc({ partner: cmd.partnerId, outcome: outcome.kind });
    }
  }
}

function newPayment(
  cmd: BillPayCommand,
  route: Route | undefined,
  state: 'RECEIVED' | 'POSTED' | 'DECLINED',
  reasonCode: ReasonCode,
): NewPayment {
  return {
    id: cmd.id,
    partnerId: cmd.partnerId,
    lane: cmd.lane,
    protocol: cmd.protocol,
    payerType: cmd.payerType,
    billType: cmd.billType,
    billReference: cmd.billReference,
    amountMinor: cmd.amountMinor,
    currency: cmd.currency,
    payerKind: cmd.payer.kind,
    payerId: cmd.payer.id,
    partnerReference: cmd.partnerReference,
    idempotencyKey: cmd.idempotencyKey,
    state,
    reasonCode,
    route:
      route === undefined
        ? null
        : {
            ruleId: route.ruleId,
            version: route.version,
            billerEndpoint: route.billerEndpoint.id,
            settlementAccount: route.settlementAccount.id,
          },
    origin: cmd.origin,
    receivedAt: cmd.receivedAt,
  };
}

/** The payment a row written from this record reads back as. */
function paymentOf(p: NewPayment & { readonly createdAt: Date }): Payment {
  return {
    ...p,
    billerReceipt: null,
    coreBankingRef: null,
    attention: null,
    updatedAt: p.createdAt,
  };
}

function routeProblem(cmd: BillPayCommand, route: Route | undefined): ReasonCode | undefined {
  if (route === undefined) return 'NO_ROUTE';
  if (route.settlementAccount.currency !== cmd.currency) return 'CURRENCY_NOT_SUPPORTED';
  return undefined;
}

function postingRequest(cmd: BillPayCommand, route: Route): PostingRequest {
  return {
    paymentId: cmd.id,
    partnerId: cmd.partnerId,
    payer: cmd.payer,
    amountMinor: cmd.amountMinor,
    currency: cmd.currency,
    settlementAccount: route.settlementAccount.id,
    receivedAt: cmd.receivedAt,
  };
}

function fromExisting(
  claimed: Exclude<Awaited<ReturnType<IdempotencyRepository['begin']>>, { kind: 'new' }>,
): PayOutcome {
  switch (claimed.kind) {
    case 'replay':
      return { kind: 'replayed', result: deserialiseResult(claimed.result) };
    case 'conflict':
      return { kind: 'conflict', paymentId: claimed.paymentId };
    case 'in-flight':
      return { kind: 'in-flight', paymentId: claimed.paymentId };
  }
}
