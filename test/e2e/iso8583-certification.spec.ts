import { encodeFrame, loadDialect, pack } from '../../src/protocols/iso8583';
import { startAnotherNode, startTestGateway, usingRealServers, type TestGateway } from '../support/gateway';
import { billPayment, Iso8583TestClient, nextStan, transmissionTime } from '../support/iso8583-client';

const spec = loadDialect('ascii87').spec;

/*
 * What a scheme's certification checks of the ISO 8583 lane (issue 17), over the real socket: the
 * answers a partner sees and what the ledger holds afterwards.
 */

let gw: TestGateway;
let port: number;
const clients: Iso8583TestClient[] = [];
beforeAll(async () => {
  gw = await startTestGateway();
  port = gw.iso8583Ports['iso8583-demo']!;
});
afterAll(async () => {
  for (const c of clients) c.close();
  await gw?.stop();
});

async function client(on: TestGateway = gw): Promise<Iso8583TestClient> {
  const c = await Iso8583TestClient.connect(on === gw ? port : on.iso8583Ports['iso8583-demo']!);
  clients.push(c);
  return c;
}

async function floatBalance(on: TestGateway = gw): Promise<bigint> {
  return (await on.services.ledger.balanceOf(on.services.database.db, 'float:demo-mfs:BDT'))!;
}

async function paymentOf(
  rrn: string,
  on: TestGateway = gw,
): Promise<{ status: string; reason_code: string }[]> {
  return on.services.database.db
    .selectFrom('payments')
    .select(['status', 'reason_code'])
    .where('partner_reference', '=', rrn)
    .execute();
}

/** Field 90 naming a request: original MTI, STAN, transmission time, acquirer, forwarder (none). */
function original90(req: Record<number, unknown>, mti = '0200'): string {
  return `${mti}${String(req[11])}${String(req[7])}${String(req[32]).padStart(11, '0')}${'0'.repeat(11)}`;
}

function adviceFor(req: Record<number, unknown>): Record<number, string | Record<string, string>> {
  return { ...billPayment({ 4: req[4] as string }), 90: original90(req) };
}

describe('a reversal advice (0420) that arrives before its original', () => {
  it('is acknowledged 0430 / 00 and kept; the late 0200 is declined and posts nothing; repeats agree', async () => {
    const c = await client();
    const before = await floatBalance();
    const req = billPayment();
    const advice = adviceFor(req);

    const ack = await c.request('0420', advice);
    expect(ack.mti).toBe('0430');
    expect(ack.fields.get(39)).toBe('00');
    expect(ack.fields.get(90)).toBe(advice[90]);

    const late = await c.request('0200', req);
    expect(late.mti).toBe('0210');
    expect(late.fields.get(39)).toBe('05');
    expect(late.fields.get(38)).toBeUndefined();
    expect(await floatBalance()).toBe(before);
    expect(await paymentOf(req[37] as string)).toEqual([
      { status: 'DECLINED', reason_code: 'REVERSED_BEFORE_ARRIVAL' },
    ]);

    // The acquirer's repeats get the same answers, and nothing moves.
    expect((await c.request('0200', req)).fields).toEqual(late.fields);
    expect((await c.request('0421', advice)).fields.get(39)).toBe('00');
    expect(await floatBalance()).toBe(before);
    const kept = await gw.services.database.db
      .selectFrom('early_reversals')
      .select(['reversal_key', 'payment_id'])
      .where('original_key', '=', `470001:${req[11] as string}:${req[7] as string}`)
      .executeTakeFirstOrThrow();
    expect(kept.payment_id).not.toBeNull();
  });

  it('racing its 0200 on another connection: the payment never stays approved', async () => {
    const before = await floatBalance();
    const [a, b] = [await client(), await client()];
    const rounds = 8;
    for (let i = 0; i < rounds; i += 1) {
      const req = billPayment();
      const [paid, ack] = await Promise.all([a.request('0200', req), b.request('0420', adviceFor(req))]);
      expect(ack.fields.get(39)).toBe('00');
      expect(['00', '05']).toContain(paid.fields.get(39));
      const [p] = await paymentOf(req[37] as string);
      expect(['REVERSED', 'DECLINED']).toContain(p?.status);
    }
    expect(await floatBalance()).toBe(before);
  });
});

describe('field 90: every original data element must match', () => {
  it('an 0400 naming original MTI 0100 does not reverse a 0200 payment: 39 = 25, still debited', async () => {
    const c = await client();
    const req = billPayment();
    expect((await c.request('0200', req)).fields.get(39)).toBe('00');
    const debited = await floatBalance();
    const wrongMti = await c.request('0400', { ...billPayment({ 4: req[4]! }), 90: original90(req, '0100') });
    expect(wrongMti.fields.get(39)).toBe('25');
    const wrongForwarder = await c.request('0400', {
      ...billPayment({ 4: req[4]! }),
      90: `${original90(req).slice(0, 31)}00000470999`,
    });
    expect(wrongForwarder.fields.get(39)).toBe('25');
    expect(await paymentOf(req[37] as string)).toEqual([{ status: 'APPROVED', reason_code: 'APPROVED' }]);
    expect(await floatBalance()).toBe(debited);
    // The right field 90 (a 0201 repeat of the original is still "0200") reverses it.
    const right = await c.request('0400', { ...billPayment({ 4: req[4]! }), 90: original90(req) });
    expect(right.fields.get(39)).toBe('00');
    expect(await floatBalance()).toBe(debited + 125050n);
  });
});

describe('decline codes for account payers', () => {
  it.each([
    ['1001000000077', '42'], // unknown account: no universal account, not 14 (invalid card number)
    ['1001000000003', '05'], // blocked account: do not honour, not 62 (restricted card)
  ])('account %s is answered 39 = %s on the demo dialect', async (account, code) => {
    const c = await client();
    const res = await c.request('0200', billPayment({ 32: '470003', 102: account }));
    expect(res.fields.get(39)).toBe(code);
  });
});

describe('malformed frames: what can be answered is answered', () => {
  const echo = () => ({ 7: transmissionTime(), 11: nextStan(), 70: '301' });

  it('field 4 = 00000012AB50 in an otherwise complete frame: 0210 / 30 with the STAN, the connection kept', async () => {
    const c = await client();
    const before = await floatBalance();
    const req = billPayment();
    const good = pack(spec, { mti: '0200', fields: req });
    const at = good.indexOf('000000125050');
    expect(at).toBeGreaterThan(0);
    const bad = Buffer.from(good);
    bad.write('00000012AB50', at, 'latin1');
    const answer = c.awaitAnswer('0210', req[11] as string);
    c.writeRaw(encodeFrame(bad, { header: 'binary2' }));
    const res = await answer;
    expect(res.fields.get(39)).toBe('30');
    expect(res.fields.get(37)).toBe(req[37]);
    expect(res.fields.has(4)).toBe(false);
    // Another request on the same connection is still served; nothing was posted.
    expect((await c.request('0800', echo())).fields.get(39)).toBe('00');
    expect(c.closed).toBe(false);
    expect(await floatBalance()).toBe(before);
  });

  it('a length header a few bytes short: the readable STAN gets its 0210 / 30 before the connection closes', async () => {
    const c = await client();
    const before = await floatBalance();
    const req = billPayment();
    const message = pack(spec, { mti: '0200', fields: req });
    const framed = encodeFrame(message, { header: 'binary2' });
    framed.writeUInt16BE(message.length - 3, 0); // the last 3 bytes then read as the next header
    const answer = c.awaitAnswer('0210', req[11] as string);
    c.writeRaw(framed);
    const res = await answer;
    expect(res.fields.get(39)).toBe('30');
    expect(res.fields.get(11)).toBe(req[11]);
    expect(await c.waitClosed()).toBe(true);
    expect(await floatBalance()).toBe(before);
  });
});

(usingRealServers ? describe : describe.skip)('two nodes on one PostgreSQL', () => {
  let other: TestGateway;
  beforeAll(async () => {
    other = await startAnotherNode(gw);
  });
  afterAll(async () => {
    await other?.stop();
  });

  it('a 0420 on one node racing its 0200 on the other: declined or reversed, never left approved', async () => {
    const before = await floatBalance();
    const [a, b] = [await client(gw), await client(other)];
    for (let i = 0; i < 10; i += 1) {
      const req = billPayment();
      const [paid, ack] = await Promise.all([a.request('0200', req), b.request('0420', adviceFor(req))]);
      expect(ack.fields.get(39)).toBe('00');
      expect(['00', '05']).toContain(paid.fields.get(39));
      const [p] = await paymentOf(req[37] as string);
      expect(['REVERSED', 'DECLINED']).toContain(p?.status);
    }
    expect(await floatBalance()).toBe(before);
  });
});
