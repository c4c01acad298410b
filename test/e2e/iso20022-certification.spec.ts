import { randomUUID } from 'node:crypto';
import { Iso20022Engine, type StatusReport } from '../../src/protocols/iso20022';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { call, type HttpAnswer } from '../support/http';
import { pacs004, pacs008, type CreditTransferTx } from '../support/iso20022-messages';
import { BANK } from '../support/payments';

/* What a scheme's certification checks of the ISO 20022 lane (issue 17), over real HTTP. */

const RICH = '1001000000001';

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
const cbs = (account: string): bigint => gw.simulators.coreBanking!.balance(account)!;

function post(endpoint: string, body: string, contentType = 'application/xml'): Promise<HttpAnswer> {
  return call(gw.httpUrl, 'POST', `/iso20022/${endpoint}`, {
    key: BANK,
    rawBody: body,
    headers: { 'content-type': contentType },
  });
}

function report(res: HttpAnswer): StatusReport {
  expect(res.status).toBe(200);
  const received = engine.receive(res.text);
  if (!received.ok) throw new Error(`answer is not a valid message: ${JSON.stringify(received.failure)}`);
  return received.message.document as StatusReport;
}

function electricity(amount: string): CreditTransferTx {
  return { endToEndId: uid('E2E'), amount, account: RICH, purpose: 'ELEC', reference: 'DESCO-1002003' };
}

describe('pacs.004 for a payment already returned', () => {
  it('is RJCT FF12 naming the original, moves nothing; the first return’s own duplicate stays ACSC', async () => {
    const tx = electricity('75.00');
    const msgId = uid('MSG');
    expect(report(await post('pacs.008', pacs008(msgId, [tx]))).transactions[0]?.status).toBe('ACSC');
    const first = pacs004(uid('RTR'), 'RTR-1', { msgId, endToEndId: tx.endToEndId }, '75.00');
    expect(report(await post('pacs.004', first)).transactions[0]?.status).toBe('ACSC');
    const balance = cbs(RICH);

    const second = report(
      await post('pacs.004', pacs004(uid('RTR'), 'RTR-2', { msgId, endToEndId: tx.endToEndId }, '75.00')),
    );
    expect(second.groupStatus).toBe('RJCT');
    expect(second.transactions[0]).toMatchObject({
      status: 'RJCT',
      reasons: [
        {
          code: 'FF12',
          additionalInfo: [
            `Original payment already returned or cancelled: MsgId ${msgId}, EndToEndId ${tx.endToEndId}`,
          ],
        },
      ],
    });
    expect(cbs(RICH)).toBe(balance);

    const again = report(await post('pacs.004', first));
    expect(again.transactions[0]?.status).toBe('ACSC');
    expect(cbs(RICH)).toBe(balance);
  });
});

describe('content types', () => {
  it.each([
    ['application/json', '{"Document":{}}'],
    ['application/json', '<Document/>'],
    ['application/json; charset=utf-8', 'not json at all'],
    ['text/plain', '<Document/>'],
    ['application/octet-stream', '<Document/>'],
  ])('%s on an ISO 20022 endpoint is 415 problem+json', async (contentType, body) => {
    const res = await post('pacs.008', body, contentType);
    expect(res.status).toBe(415);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 415, type: expect.stringMatching(/unsupported-media-type$/) });
  });

  it('application/xml and text/xml are still read', async () => {
    const xml = pacs008(uid('MSG'), [electricity('1.00')]);
    expect((await post('pacs.008', xml, 'text/xml; charset=utf-8')).status).toBe(200);
  });
});
