import { fingerprint } from '../domain/idempotency/fingerprint';
import type { Partner } from '../domain/partners/partner';
import type { BillPayCommand, BillPayResult, IdempotencyContext, PayOutcome } from './bill-pay-command';
import { IntakeStep, type IntakeAnswers, type IntakeDetails, type IntakeRequest } from './intake-step';

/*
 * The intake every translator shares, over a stand-in for the pipeline that records what it was asked
 * and answers from a script: the pipeline itself is tested on a real database elsewhere; this is about
 * what reaches it and what the translator is told.
 */

const MFS: Partner = { id: 'demo-mfs', name: 'MFS', kind: 'mfs', payerTypes: ['mfs-user'], status: 'live' };
const AT = new Date('2026-12-06T10:00:00.000Z');

function resultOf(cmd: BillPayCommand): BillPayResult {
  return {
    paymentId: cmd.id,
    status: 'APPROVED',
    reasonCode: 'APPROVED',
    billerReceipt: 'R-1',
    billType: cmd.billType,
    billReference: cmd.billReference,
    amountMinor: cmd.amountMinor,
    currency: cmd.currency,
    payerType: cmd.payerType,
    partnerReference: cmd.partnerReference,
    createdAt: AT,
    route: null,
  };
}

function scriptedPipeline(script: PayOutcome['kind'][]) {
  const calls: { cmd: BillPayCommand; idem: IdempotencyContext }[] = [];
  return {
    calls,
    pay(cmd: BillPayCommand, idem: IdempotencyContext): Promise<PayOutcome> {
      calls.push({ cmd, idem });
      const kind = script.shift() ?? 'processed';
      switch (kind) {
        case 'processed':
        case 'replayed':
          return Promise.resolve({ kind, result: resultOf(cmd) });
        case 'conflict':
        case 'in-flight':
          return Promise.resolve({ kind, paymentId: null });
      }
    },
  };
}

const request: IntakeRequest = {
  protocol: 'rest',
  lane: { id: 'http' },
  billType: 'ELECTRICITY',
  scope: 'test:scope',
  idempotencyKey: 'key-1',
};

const details = (overrides: Partial<IntakeDetails> = {}): IntakeDetails => ({
  partner: MFS,
  payer: { kind: 'wallet', id: '01700000000' },
  billReference: 'DESCO-1',
  amountMinor: 125_050n,
  currency: 'BDT',
  partnerReference: 'P-1',
  origin: { stan: '000001' },
  content: { b: 2, a: 1 },
  ...overrides,
});

const answers: IntakeAnswers<string> = {
  billTypeNotOffered: (code) => `not offered: ${code}`,
  payerTypeNotAllowed: (detail) => `not allowed: ${detail}`,
  settled: (result, replayed) => `${replayed ? 'replayed' : 'processed'} ${result.paymentId}`,
  conflict: () => 'conflict',
  inFlight: () => 'in flight',
};

describe('the intake step', () => {
  it('builds the command: id, payer type classified at the edge, received-at from the injected clock, fingerprint of the content', async () => {
    const pipeline = scriptedPipeline(['processed']);
    const intake = new IntakeStep({
      pipeline,
      isKnownBillType: (code) => Promise.resolve(code === 'ELECTRICITY'),
      now: () => AT,
      inFlight: { wait: false },
    });
    const answer = await intake.pay(request, () => details(), answers);
    expect(pipeline.calls).toHaveLength(1);
    const { cmd, idem } = pipeline.calls[0]!;
    expect(answer).toBe(`processed ${cmd.id}`);
    expect(cmd).toMatchObject({
      partnerId: 'demo-mfs',
      lane: 'http',
      protocol: 'rest',
      payerType: 'mfs-user',
      billType: 'ELECTRICITY',
      amountMinor: 125_050n,
      idempotencyKey: 'key-1',
      receivedAt: AT,
      origin: { stan: '000001' },
    });
    expect(cmd.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(idem).toEqual({ scope: 'test:scope', fingerprint: fingerprint({ a: 1, b: 2 }) });
  });

  it('refuses a bill type not offered before the translator reads the rest, and posts nothing', async () => {
    const pipeline = scriptedPipeline([]);
    const intake = new IntakeStep({
      pipeline,
      isKnownBillType: () => Promise.resolve(false),
      inFlight: { wait: false },
    });
    let read = false;
    const answer = await intake.pay(
      request,
      () => {
        read = true;
        return details();
      },
      answers,
    );
    expect(answer).toBe('not offered: ELECTRICITY');
    expect(read).toBe(false);
    expect(pipeline.calls).toHaveLength(0);
  });

  it("passes on the translator's own refusal and a payer type the partner may not send", async () => {
    const pipeline = scriptedPipeline([]);
    const intake = new IntakeStep({
      pipeline,
      isKnownBillType: () => Promise.resolve(true),
      inFlight: { wait: false },
    });
    expect(await intake.pay(request, () => ({ refused: 'bill reference missing' }), answers)).toBe(
      'bill reference missing',
    );
    expect(
      await intake.pay(request, () => details({ payer: { kind: 'account', id: '1001' } }), answers),
    ).toBe('not allowed: partner demo-mfs may not pay from an account on lane http (allowed: mfs-user)');
    expect(pipeline.calls).toHaveLength(0);
  });

  it('hands each outcome to its answer', async () => {
    const pipeline = scriptedPipeline(['replayed', 'conflict', 'in-flight']);
    const intake = new IntakeStep({
      pipeline,
      isKnownBillType: () => Promise.resolve(true),
      inFlight: { wait: false },
    });
    expect(await intake.pay(request, () => details(), answers)).toMatch(/^replayed /);
    expect(await intake.pay(request, () => details(), answers)).toBe('conflict');
    // wait: false answers "in flight" at once (HTTP says 409).
    expect(await intake.pay(request, () => details(), answers)).toBe('in flight');
    expect(pipeline.calls).toHaveLength(3);
  });

  it('with wait: true asks again while the original is in flight, then answers with its outcome', async () => {
    const pipeline = scriptedPipeline(['in-flight', 'in-flight', 'replayed']);
    const intake = new IntakeStep({
      pipeline,
      isKnownBillType: () => Promise.resolve(true),
      inFlight: { wait: true, maxMs: 5_000 },
    });
    expect(await intake.pay(request, () => details(), answers)).toMatch(/^replayed /);
    expect(pipeline.calls).toHaveLength(3);
    // The same command each time: the repeat is the same request, not a new payment.
    expect(new Set(pipeline.calls.map((c) => c.cmd.id)).size).toBe(1);
  });

  it('lets the translator refuse the finished command before the pipeline sees it', async () => {
    const pipeline = scriptedPipeline(['processed']);
    const intake = new IntakeStep({
      pipeline,
      isKnownBillType: () => Promise.resolve(true),
      inFlight: { wait: false },
    });
    const seen: BillPayCommand[] = [];
    const refusing: IntakeAnswers<string> = {
      ...answers,
      beforePay: (command) => {
        seen.push(command);
        return Promise.resolve({ refused: `refused ${command.idempotencyKey}` });
      },
    };
    expect(await intake.pay(request, () => details(), refusing)).toBe('refused key-1');
    expect(seen[0]).toMatchObject({ partnerId: 'demo-mfs', payerType: 'mfs-user' });
    expect(pipeline.calls).toHaveLength(0);
    const passing = { ...answers, beforePay: () => Promise.resolve(undefined) };
    expect(await intake.pay(request, () => details(), passing)).toMatch(/^processed /);
    expect(pipeline.calls).toHaveLength(1);
  });
});
