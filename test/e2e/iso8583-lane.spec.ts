import { startTestGateway, type TestGateway } from '../support/gateway';
import { encodeFrame, loadDialect, pack, unpack, type UnpackedMessage } from '../../src/protocols/iso8583';
import { billPayment, Iso8583TestClient, nextStan, transmissionTime } from '../support/iso8583-client';

const spec = loadDialect('ascii87').spec;

/** The next frame the client receives after the first `seen` ones, decoded. */
async function nextAnswer(c: Iso8583TestClient, seen: number, timeoutMs = 5000): Promise<UnpackedMessage> {
  const deadline = Date.now() + timeoutMs;
  while (c.received.length <= seen) {
    if (Date.now() > deadline || c.closed) throw new Error('no answer');
    await new Promise((r) => setTimeout(r, 10));
  }
  return unpack(spec, c.received[seen]!);
}

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

async function client(): Promise<Iso8583TestClient> {
  const c = await Iso8583TestClient.connect(port);
  clients.push(c);
  return c;
}

async function floatBalance(): Promise<bigint> {
  return (await gw.services.ledger.balanceOf(gw.services.database.db, 'float:demo-mfs:BDT'))!;
}

function original90(req: Record<number, unknown>): string {
  return `0200${String(req[11])}${String(req[7])}${String(req[32]).padStart(11, '0')}${'0'.repeat(11)}`;
}

describe('0200 bill payment', () => {
  it('is approved: 0210 echoes the matching fields, 39=00 and an approval code', async () => {
    const c = await client();
    const before = await floatBalance();
    const req = billPayment();
    const res = await c.request('0200', req);
    expect(res.mti).toBe('0210');
    expect(res.fields.get(39)).toBe('00');
    expect(res.fields.get(38)).toMatch(/^[0-9A-F]{6}$/);
    for (const f of [3, 4, 7, 11, 32, 37, 41, 42, 49, 102]) expect(res.fields.get(f)).toEqual(req[f]);
    expect(await floatBalance()).toBe(before - 125050n);
    const stored = await gw.services.database.db
      .selectFrom('payments')
      .select(['origin', 'partner_reference'])
      .where('partner_reference', '=', req[37] as string)
      .executeTakeFirstOrThrow();
    expect(stored.origin).toMatchObject({
      mti: '0200',
      stan: req[11],
      acquirer: '470001',
      terminal: 'TERM0001',
      acceptor: 'MERCHANT0000001',
    });
  });

  it('a duplicate 0200 and a 0201 repeat get the identical 0210 and post once', async () => {
    const c = await client();
    const req = billPayment();
    const first = await c.request('0200', req);
    const before = await floatBalance();
    const second = await c.request('0200', req);
    const repeat = await c.request('0201', req);
    expect(second).toEqual(first);
    expect(repeat.fields).toEqual(first.fields);
    expect(c.received[c.received.length - 1]).toEqual(c.received[c.received.length - 2]);
    expect(await floatBalance()).toBe(before);
  });

  it('the same key with different content gets 39=94', async () => {
    const c = await client();
    const req = billPayment();
    await c.request('0200', req);
    const res = await c.request('0200', { ...req, 4: '000000000100' });
    expect(res.fields.get(39)).toBe('94');
  });

  it.each([
    ['a biller decline', '05', { 48: { '01': 'WATER', '02': 'DECLINE-1' } }],
    ['an unknown bill at the biller', '25', { 48: { '01': 'WATER', '02': 'UNKNOWN-1' } }],
    ['an unknown bill type', '30', { 48: { '01': 'TELEPORT', '02': 'X-1' } }],
    ['missing bill data', '30', { 48: undefined }],
    ['a processing code that is not a bill payment', '12', { 3: '310000' }],
    ['an unknown currency', '30', { 49: '999' }],
    ['a zero amount', '13', { 4: '000000000000' }],
    ['an acquirer not on this lane', '03', { 32: '999999' }],
  ])('%s is answered with 39=%s', async (_name, code, override) => {
    const c = await client();
    const req = billPayment(override as never);
    if ((override as Record<number, unknown>)[48] === undefined && 48 in override) delete req[48];
    const res = await c.request('0200', req);
    expect(res.mti).toBe('0210');
    expect(res.fields.get(39)).toBe(code);
    expect(res.fields.get(11)).toBe(req[11]);
  });

  it('a card scheme acquirer pays from a card token; the PAN is echoed to it but never stored', async () => {
    const c = await client();
    const req = billPayment({ 32: '470002', 2: '4111111111111111' });
    delete req[102];
    const res = await c.request('0200', req);
    expect(res.fields.get(39)).toBe('00');
    expect(res.fields.get(2)).toBe('4111111111111111');
    const stored = await gw.services.database.db
      .selectFrom('payments')
      .select(['payer_id', 'payer_type'])
      .where('partner_reference', '=', req[37] as string)
      .executeTakeFirstOrThrow();
    expect(stored.payer_type).toBe('card-on-file');
    expect(stored.payer_id).toMatch(/^pan_/);
    expect(stored.payer_id).not.toContain('4111111111111111');
  });

  it('an unsupported MTI is answered with its response MTI and 39=12', async () => {
    const c = await client();
    const res = await c.request('0100', billPayment());
    expect(res.mti).toBe('0110');
    expect(res.fields.get(39)).toBe('12');
  });
});

describe('many requests', () => {
  it('pipelined on one connection: every request is answered, matched by STAN', async () => {
    const c = await client();
    const reqs = Array.from({ length: 30 }, (_, i) =>
      billPayment({ 48: { '01': 'GAS', '02': i % 3 === 0 ? `SLOW-${i}` : `TITAS-${i}` } }),
    );
    const answers = await Promise.all(reqs.map((r) => c.request('0200', r)));
    expect(answers.map((a) => a.fields.get(39))).toEqual(reqs.map(() => '00'));
    expect(answers.map((a) => a.fields.get(11))).toEqual(reqs.map((r) => r[11]));
  });

  it('several connections at once', async () => {
    const conns = await Promise.all(Array.from({ length: 8 }, () => client()));
    const answers = await Promise.all(
      conns.flatMap((c) => Array.from({ length: 5 }, () => c.request('0200', billPayment()))),
    );
    expect(answers.every((a) => a.fields.get(39) === '00')).toBe(true);
  });

  it('a malformed frame closes that connection only; the server and other peers go on', async () => {
    const bad = await client();
    const good = await client();
    bad.writeRaw(Buffer.from([0x00, 0x08, 0x30, 0x32, 0x30, 0x30, 0xff, 0xff, 0xff, 0xff]));
    expect(await bad.waitClosed()).toBe(true);
    const res = await good.request('0200', billPayment());
    expect(res.fields.get(39)).toBe('00');
    const fresh = await client();
    expect(
      (await fresh.request('0800', { 7: transmissionTime(), 11: nextStan(), 70: '301' })).fields.get(39),
    ).toBe('00');
  });

  it('a message that decodes far enough to answer is answered 39=30, and the connection stays open', async () => {
    const c = await client();
    const before = await floatBalance();
    const req = billPayment({ 48: { '01': 'WATER', '02': 'WASA-7' } });
    // Field 48 carries a sub-element tag (03) the dialect does not define: the codec refuses the
    // message, but its MTI and STAN were read before the fault, so the partner can be answered.
    const good = pack(spec, { mti: '0200', fields: req });
    const at = good.indexOf('01005WATER');
    expect(at).toBeGreaterThan(0);
    const bad = Buffer.from(good);
    bad.write('03', at, 'latin1');
    const answered = c.received.length;
    c.writeRaw(encodeFrame(bad, { header: 'binary2' }));
    const answer = await nextAnswer(c, answered);
    expect(answer.mti).toBe('0210');
    expect(answer.fields.get(39)).toBe('30');
    expect(answer.fields.get(11)).toBe(req[11]);
    expect(answer.fields.get(37)).toBe(req[37]);
    expect(await floatBalance()).toBe(before);
    const echo = await c.request('0800', { 7: transmissionTime(), 11: nextStan(), 70: '301' });
    expect(echo.fields.get(39)).toBe('00');
    expect(c.closed).toBe(false);
  });

  it('a 0200 without a field the dialect requires is answered 39=30 and posts nothing', async () => {
    const c = await client();
    const before = await floatBalance();
    const req = billPayment();
    delete req[41];
    const res = await c.request('0200', req);
    expect(res.fields.get(39)).toBe('30');
    expect(res.fields.get(11)).toBe(req[11]);
    expect(await floatBalance()).toBe(before);
  });

  it('an oversize frame header closes the connection', async () => {
    const bad = await client();
    bad.writeRaw(Buffer.from([0xff, 0xff, 0x30]));
    expect(await bad.waitClosed()).toBe(true);
  });
});

describe('0400 / 0420 reversals', () => {
  it('reverses an approved payment in the ledger and at the biller; a repeat gets the same answer', async () => {
    const c = await client();
    const before = await floatBalance();
    const req = billPayment();
    const paid = await c.request('0200', req);
    expect(paid.fields.get(39)).toBe('00');
    const reversal = { ...billPayment({ 4: req[4]! }), 90: original90(req) };
    const res = await c.request('0400', reversal);
    expect(res.mti).toBe('0410');
    expect(res.fields.get(39)).toBe('00');
    expect(res.fields.get(90)).toBe(reversal[90]);
    expect(await floatBalance()).toBe(before);
    const payment = await gw.services.database.db
      .selectFrom('payments')
      .select(['id', 'status'])
      .where('partner_reference', '=', req[37] as string)
      .executeTakeFirstOrThrow();
    expect(payment.status).toBe('REVERSED');
    expect(gw.simulators.biller!.paidBill(payment.id)?.reversed).toBe(true);
    const repeat = await c.request('0401', reversal);
    expect(repeat.fields.get(39)).toBe('00');
    expect(await floatBalance()).toBe(before);
  });

  it('an unknown original gets 39=25', async () => {
    const c = await client();
    const ghost = billPayment();
    const res = await c.request('0400', { ...billPayment(), 90: original90(ghost) });
    expect(res.fields.get(39)).toBe('25');
  });

  it('a reversal advice 0420 is answered 0430 and reverses a pending payment', async () => {
    const c = await client();
    const before = await floatBalance();
    const req = billPayment({ 48: { '01': 'WATER', '02': 'TIMEOUT-8583' } });
    const pending = await c.request('0200', req);
    expect(pending.fields.get(39)).toBe('68');
    const res = await c.request('0420', { ...billPayment({ 4: req[4]! }), 90: original90(req) });
    expect(res.mti).toBe('0430');
    expect(res.fields.get(39)).toBe('00');
    expect(await floatBalance()).toBe(before);
  });

  it('a partial reversal is refused with 39=13', async () => {
    const c = await client();
    const req = billPayment();
    await c.request('0200', req);
    const res = await c.request('0400', { ...billPayment({ 4: '000000000001' }), 90: original90(req) });
    expect(res.fields.get(39)).toBe('13');
  });
});

describe('0800 network management', () => {
  it.each([
    ['sign-on', '00', '001'],
    ['sign-off', '00', '002'],
    ['echo', '00', '301'],
    ['an unknown code', '12', '999'],
  ])('%s → 0810 39=%s', async (_name, expected, code) => {
    const c = await client();
    const s = nextStan();
    const res = await c.request('0800', { 7: transmissionTime(), 11: s, 70: code });
    expect(res.mti).toBe('0810');
    expect(res.fields.get(39)).toBe(expected);
    expect(res.fields.get(70)).toBe(code);
  });
});

it('the trial balance stays balanced after all of it', async () => {
  const tb = await gw.services.ledger.trialBalance(gw.services.database.db);
  expect(tb.every((r) => r.balanced && r.accountsAgree)).toBe(true);
});
