import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { Iso20022Engine, type StatusReport } from '../../src/protocols/iso20022';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call, type HttpAnswer } from '../support/http';
import { pacs008, type CreditTransferTx } from '../support/iso20022-messages';
import { BANK, MFS } from '../support/payments';

/*
 * Issue 18: a UETR is unique worldwide, while idempotency keys are per partner. Two partners on the
 * ISO 20022 HTTP lane: the demo bank (its customer's account, through core banking) and the demo MFS
 * (a wallet, on its float). The second to present a UETR is refused RJCT DUPL with nothing posted;
 * the first keeps its idempotent replay.
 */

const BANK_CUSTOMER = '1001000000001';
const WALLET = '01711000001';
const MFS_FLOAT = 'float:demo-mfs:BDT';

let gw: TestGateway;
let engine: Iso20022Engine;
beforeAll(async () => {
  [gw, engine] = await Promise.all([startTestGateway(), Iso20022Engine.create()]);
});
afterAll(async () => {
  engine?.dispose();
  await gw?.stop();
});

const uid = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

function payment(account: string, uetr: string, overrides: Partial<CreditTransferTx> = {}): CreditTransferTx {
  return {
    endToEndId: uid('E2E'),
    amount: '75.25',
    account,
    purpose: 'ELEC',
    reference: 'DESCO-1002003',
    uetr,
    ...overrides,
  };
}

function send(key: string, tx: CreditTransferTx, msgId = uid('MSG')): Promise<HttpAnswer> {
  return call(gw.httpUrl, 'POST', '/iso20022/pacs.008', {
    key,
    rawBody: pacs008(msgId, [tx]),
    headers: { 'content-type': 'application/xml' },
  });
}

/** The pacs.002 answer's one transaction, read back with the engine (valid against its XSD). */
function answerOf(res: HttpAnswer): StatusReport['transactions'][number] {
  expect(res.status).toBe(200);
  const received = engine.receive(res.text);
  if (!received.ok) throw new Error(`answer is not a valid message: ${JSON.stringify(received.failure)}`);
  const tx = (received.message.document as StatusReport).transactions;
  expect(tx).toHaveLength(1);
  return tx[0]!;
}

async function paymentsUnder(uetr: string): Promise<{ partner_id: string; status: string }[]> {
  const { rows } = await sql<{ partner_id: string; status: string }>`
    select partner_id, status from payments where origin ->> 'uetr' = ${uetr}`.execute(
    gw.services.database.db,
  );
  return rows;
}

const customerBalance = (): bigint => gw.simulators.coreBanking!.balance(BANK_CUSTOMER)!;
const mfsFloat = async (): Promise<bigint> =>
  (await gw.services.ledger.balanceOf(gw.services.database.db, MFS_FLOAT))!;

describe('a UETR is unique worldwide: the same UETR from a second partner', () => {
  it('is refused RJCT DUPL and nothing is posted, while the first partner keeps its payment', async () => {
    const uetr = randomUUID();
    expect(answerOf(await send(BANK, payment(BANK_CUSTOMER, uetr))).status).toBe('ACSC');
    const [customer, float] = [customerBalance(), await mfsFloat()];

    const second = payment(WALLET, uetr);
    const refused = answerOf(await send(MFS, second));
    expect(refused).toMatchObject({
      orgnlEndToEndId: second.endToEndId,
      orgnlUetr: uetr,
      status: 'RJCT',
      reasons: [{ code: 'DUPL', additionalInfo: [`UETR ${uetr} was already used by another sender`] }],
    });
    // Nothing moved and nothing was recorded for the second partner.
    expect(await mfsFloat()).toBe(float);
    expect(customerBalance()).toBe(customer);
    expect(await paymentsUnder(uetr)).toEqual([{ partner_id: 'demo-bank', status: 'APPROVED' }]);
    const mine = await gw.services.payments.findByPartnerReference(
      gw.services.database.db,
      'demo-mfs',
      second.endToEndId,
    );
    expect(mine).toEqual([]);

    // Sent again, it is refused again; a different message from that partner changes nothing either.
    expect(answerOf(await send(MFS, second)).reasons[0]?.code).toBe('DUPL');
    expect(answerOf(await send(MFS, { ...second, amount: '10.00' })).reasons[0]?.code).toBe('DUPL');
    expect(await paymentsUnder(uetr)).toHaveLength(1);
    expect(await mfsFloat()).toBe(float);
  });

  it("leaves the first partner's own repeat as it was: replayed, and a changed repeat still a conflict", async () => {
    const uetr = randomUUID();
    const first = payment(BANK_CUSTOMER, uetr);
    expect(answerOf(await send(BANK, first)).status).toBe('ACSC');
    expect(answerOf(await send(MFS, payment(WALLET, uetr))).status).toBe('RJCT');
    const customer = customerBalance();

    // The same transaction in another message: the same payment, answered ACSC, not posted again.
    expect(answerOf(await send(BANK, first)).status).toBe('ACSC');
    // The same UETR with another amount: today's per-partner conflict, RJCT DUPL.
    expect(answerOf(await send(BANK, { ...first, amount: '75.26' }))).toMatchObject({
      status: 'RJCT',
      reasons: [{ code: 'DUPL' }],
    });
    expect(customerBalance()).toBe(customer);
    expect(await paymentsUnder(uetr)).toEqual([{ partner_id: 'demo-bank', status: 'APPROVED' }]);
  });

  it('two partners racing with one fresh UETR: exactly one is paid, the other refused', async () => {
    for (let round = 0; round < 3; round += 1) {
      const uetr = randomUUID();
      const float = await mfsFloat();
      const answers = await Promise.all([
        send(BANK, payment(BANK_CUSTOMER, uetr)).then(answerOf),
        send(MFS, payment(WALLET, uetr)).then(answerOf),
      ]);
      const statuses = answers.map(
        (a) => `${a.status}${a.reasons[0] === undefined ? '' : ` ${a.reasons[0].code}`}`,
      );
      expect(statuses.sort()).toEqual(['ACSC', 'RJCT DUPL']);
      const paid = await paymentsUnder(uetr);
      expect(paid).toHaveLength(1);
      const winner = paid[0]!.partner_id;
      expect(answers[winner === 'demo-bank' ? 0 : 1]?.status).toBe('ACSC');
      // The float moved only if the MFS won.
      expect(await mfsFloat()).toBe(winner === 'demo-mfs' ? float - 7525n : float);
    }
  });

  it('refuses the first partner in turn when the second presented the UETR first', async () => {
    const uetr = randomUUID();
    expect(answerOf(await send(MFS, payment(WALLET, uetr))).status).toBe('ACSC');
    const customer = customerBalance();
    expect(answerOf(await send(BANK, payment(BANK_CUSTOMER, uetr)))).toMatchObject({
      status: 'RJCT',
      reasons: [{ code: 'DUPL' }],
    });
    expect(customerBalance()).toBe(customer);
    expect(await paymentsUnder(uetr)).toEqual([{ partner_id: 'demo-mfs', status: 'APPROVED' }]);
  });
});
