import { randomUUID } from 'node:crypto';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call, type HttpAnswer } from '../support/http';
import { camt056, pacs008 } from '../support/iso20022-messages';
import { BANK } from '../support/payments';

/*
 * A bank customer's payment that core banking never answered stays PENDING with nothing posted in
 * our ledger. Cancelling it must not post a reversal journal against nothing (that would credit the
 * core-banking clearing account and debit the biller's settlement account with money that never moved).
 */

const HANGS = '1001000000009'; // the core-banking simulator never answers this account in time
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ CORE_BANKING_TIMEOUT_MS: '200' });
});
afterAll(async () => {
  await gw?.stop();
});

function post(endpoint: string, xml: string): Promise<HttpAnswer> {
  return call(gw.httpUrl, 'POST', `/iso20022/${endpoint}`, {
    key: BANK,
    rawBody: xml,
    headers: { 'content-type': 'application/xml' },
  });
}

async function balance(account: string): Promise<bigint> {
  return (await gw.services.ledger.balanceOf(gw.services.database.db, account)) ?? 0n;
}

it('cancelling a payment core banking never answered reverses nothing in the ledger', async () => {
  const settlement = 'settlement:ELECTRICITY:BDT';
  const clearing = 'clearing:core-banking:BDT';
  const before = { settlement: await balance(settlement), clearing: await balance(clearing) };
  const msgId = `MSG-${randomUUID().slice(0, 8)}`;
  const endToEndId = `E2E-${randomUUID().slice(0, 8)}`;
  const pay = await post(
    'pacs.008',
    pacs008(msgId, [
      { endToEndId, amount: '75.00', account: HANGS, purpose: 'ELEC', reference: 'DESCO-1002003' },
    ]),
  );
  expect(pay.status).toBe(200);
  expect(pay.text).toContain('<TxSts>ACSP</TxSts>');
  const [payment] = await gw.services.payments.findByPartnerReference(
    gw.services.database.db,
    'demo-bank',
    endToEndId,
  );
  expect(payment).toMatchObject({
    state: 'PENDING',
    reasonCode: 'CORE_BANKING_TIMEOUT',
    coreBankingRef: null,
  });

  const cancel = await post(
    'camt.056',
    camt056(`CXL-${randomUUID().slice(0, 8)}`, 'CXL-1', { msgId, endToEndId }),
  );
  expect(cancel.status).toBe(200);
  expect(cancel.text).toContain('<TxCxlSts>ACCR</TxCxlSts>');
  const [after] = await gw.services.payments.findByPartnerReference(
    gw.services.database.db,
    'demo-bank',
    endToEndId,
  );
  expect(after?.state).toBe('REVERSED');
  expect(await balance(settlement)).toBe(before.settlement);
  expect(await balance(clearing)).toBe(before.clearing);
  const trial = await gw.services.ledger.trialBalance(gw.services.database.db);
  expect(trial.every((r) => r.balanced && r.accountsAgree)).toBe(true);
});
