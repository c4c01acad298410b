import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { request } from 'undici';
import { WebhookReceiver } from '../../src/cli/webhook-receiver';
import {
  encodeFrame,
  FrameDecoder,
  loadDialect,
  pack,
  unpack,
  type FieldValueInput,
  type UnpackedMessage,
} from '../../src/protocols/iso8583';

/*
 * Partner clients as a partner's engineers would write them against a certification lane: each
 * reads what to send next from GET /certification/next, does it with its own system's logic (a
 * payment switch that sends a reversal advice when an answer never comes, a REST client that retries
 * with the same key...), and loops until the session is finished. The defects are the ones the
 * issue names, each switched on by an option, so one client can be shown to fail exactly the cases
 * its defect touches.
 */

interface Next {
  phase: 'idle' | 'awaiting' | 'working' | 'finished';
  case?: string;
  step?: string;
  action?: string;
  values?: Record<string, string>;
  automatic?: boolean;
}

interface Session {
  apiKey: string;
  partner: { id: string; acquirer?: string };
  endpoints: { http: string; iso8583?: string };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await request(url);
  return (await res.body.json()) as T;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The loop every client shares: poll the lane, do each step once, ignore steps the client's own
 * logic takes care of (`automatic`), stop when the session is over (or idle again after it began).
 */
async function follow(laneUrl: string, act: (n: Next) => Promise<void>, deadlineMs = 300_000): Promise<void> {
  const done = new Set<string>();
  const deadline = Date.now() + deadlineMs;
  let started = false;
  while (Date.now() < deadline) {
    let n: Next;
    try {
      n = await getJson<Next>(`${laneUrl}/certification/next`);
    } catch (error) {
      // A lane that served its session and closed (certify serve exits when it has its report).
      if (started) return;
      throw error;
    }
    if (n.phase === 'finished' || (started && n.phase === 'idle')) return;
    if (n.phase !== 'idle') started = true;
    const key = `${n.case ?? ''}/${n.step ?? ''}`;
    if (n.phase === 'awaiting' && !done.has(key) && n.automatic !== true) {
      done.add(key);
      await act(n);
    } else {
      await sleep(25);
    }
  }
  throw new Error('the session did not finish');
}

/** A webhook receiver: the README's (verifies with the secret) or one that accepts anything. */
export class PartnerReceiver {
  private server: Server | undefined;
  private verifying: WebhookReceiver | undefined;
  private readonly secrets: string[] = [];
  url = '';

  constructor(private readonly verifies: boolean) {}

  async start(): Promise<string> {
    if (this.verifies) {
      this.verifying = new WebhookReceiver({ secrets: this.secrets });
      this.url = await this.verifying.start();
      return this.url;
    }
    // The defect: a 204 for whatever arrives, signed or not.
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  /** Names the receiver to the lane and keeps the secret it answers with. */
  async register(laneUrl: string): Promise<void> {
    const res = await request(`${laneUrl}/certification/webhook-receiver`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: this.url }),
    });
    const b = (await res.body.json()) as { secret?: string };
    if (res.statusCode !== 200 || b.secret === undefined) throw new Error(`registration: ${res.statusCode}`);
    this.secrets.splice(0, this.secrets.length, b.secret);
  }

  async stop(): Promise<void> {
    await this.verifying?.stop();
    if (this.server !== undefined) await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

// ---------------------------------------------------------------- ISO 8583

const pad2 = (n: number): string => String(n).padStart(2, '0');
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function minor12(amount: string): string {
  const [whole, frac = ''] = amount.split('.');
  return `${whole ?? '0'}${frac.padEnd(2, '0')}`.padStart(12, '0');
}

export interface Iso8583ClientDefects {
  /** Field 7 of reversals and advices as local-style YYMMDDhhmm instead of MMDDhhmmss GMT. */
  readonly reversalField7?: boolean;
}

interface SentPayment {
  readonly fields: Record<number, FieldValueInput>;
}

/** An acquirer's switch: signs on, echoes, pays, repeats, reverses; advises when an answer is lost. */
export class Iso8583PartnerClient {
  private socket: Socket | undefined;
  private readonly spec = loadDialect('ascii87').spec;
  private readonly decoder = new FrameDecoder({ header: 'binary2', maxFrameSize: 65535 });
  private readonly waiting = new Map<string, (m: UnpackedMessage) => void>();
  private stan = 100_000 + (randomBytes(2).readUInt16BE(0) % 50_000);
  private last: SentPayment | undefined;
  private acquirer = '';

  constructor(
    private readonly laneUrl: string,
    private readonly defects: Iso8583ClientDefects = {},
    private readonly answerTimeoutMs = 1500,
  ) {}

  async run(): Promise<void> {
    const session = await getJson<Session>(`${this.laneUrl}/certification/session`);
    this.acquirer = session.partner.acquirer ?? '470099';
    const [host, port] = (session.endpoints.iso8583 ?? '').split(':');
    const socket = connect({ host: host ?? '127.0.0.1', port: Number(port) });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.on('data', (chunk) => {
      for (const f of this.decoder.push(chunk)) {
        const m = unpack(this.spec, f.payload);
        const key = `${m.mti}:${str(m.fields.get(11))}`;
        this.waiting.get(key)?.(m);
        this.waiting.delete(key);
      }
    });
    this.socket = socket;
    try {
      await follow(this.laneUrl, (n) => this.act(n));
    } finally {
      socket.destroy();
    }
  }

  private nextStan(): string {
    this.stan = this.stan >= 999_999 ? 100_001 : this.stan + 1;
    return String(this.stan);
  }

  private field7(reversal: boolean): string {
    const d = new Date();
    if (reversal && this.defects.reversalField7 === true) {
      return `${pad2(d.getUTCFullYear() % 100)}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}`;
    }
    return `${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}`;
  }

  private send(
    mti: string,
    fields: Record<number, FieldValueInput>,
    timeoutMs: number,
  ): Promise<UnpackedMessage | undefined> {
    const respMti = `${mti.slice(0, 2)}${Number(mti[2]) + 1}0`;
    const key = `${respMti}:${str(fields[11])}`;
    const answer = new Promise<UnpackedMessage | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.set(key, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
    this.socket?.write(encodeFrame(pack(this.spec, { mti, fields }), { header: 'binary2' }));
    return answer;
  }

  private reversalOf(original: SentPayment): Record<number, FieldValueInput> {
    const o = original.fields;
    return {
      ...o,
      7: this.field7(true),
      11: this.nextStan(),
      90: `0200${str(o[11])}${str(o[7])}${this.acquirer.padStart(11, '0')}${'0'.repeat(11)}`,
    };
  }

  private async act(n: Next): Promise<void> {
    const v = n.values ?? {};
    switch (n.action) {
      case 'sign-on':
      case 'echo':
        await this.send(
          '0800',
          { 7: this.field7(false), 11: this.nextStan(), 70: n.action === 'echo' ? '301' : '001' },
          5000,
        );
        return;
      case 'pay': {
        const stan = this.nextStan();
        const d = new Date();
        const fields: Record<number, FieldValueInput> = {
          3: '500000',
          4: minor12(v.amount ?? '0'),
          7: this.field7(false),
          11: stan,
          12: `${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}`,
          13: `${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}`,
          32: this.acquirer,
          37: `RRN${stan.padStart(9, '0')}`,
          41: 'TERM0001',
          42: 'MERCHANT0000001',
          48: { '01': v.billType ?? '', '02': v.billReference ?? '' },
          49: '050',
          102: v.payer ?? '',
        };
        this.last = { fields };
        const answer = await this.send('0200', fields, this.answerTimeoutMs);
        if (answer === undefined) {
          // The switch's own rule: no answer in time → reverse by advice, never assume.
          await this.send('0420', this.reversalOf(this.last), 5000);
        }
        return;
      }
      case 'repeat':
        if (this.last !== undefined) await this.send('0201', this.last.fields, 5000);
        return;
      case 'reverse':
        if (this.last !== undefined) await this.send('0400', this.reversalOf(this.last), 5000);
        return;
      default:
        throw new Error(`the ISO 8583 client has no action ${n.action ?? ''}`);
    }
  }
}

// ---------------------------------------------------------------- REST

export interface RestClientDefects {
  /** Never sends Idempotency-Key. */
  readonly noIdempotencyKey?: boolean;
}

/** A wallet's back end: pays with a key per payment and retries a lost answer with the same key. */
export class RestPartnerClient {
  private key = '';

  constructor(
    private readonly laneUrl: string,
    private readonly defects: RestClientDefects = {},
  ) {}

  async run(): Promise<void> {
    const session = await getJson<Session>(`${this.laneUrl}/certification/session`);
    this.key = session.apiKey;
    await follow(this.laneUrl, (n) => this.act(n));
  }

  private async call(
    method: 'GET' | 'POST',
    path: string,
    body?: string,
    idempotencyKey?: string,
  ): Promise<void> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey !== undefined && this.defects.noIdempotencyKey !== true)
      headers['idempotency-key'] = idempotencyKey;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const res = await request(`${this.laneUrl}${path}`, {
          method,
          headers,
          ...(body !== undefined ? { body } : {}),
        });
        await res.body.dump();
        return;
      } catch {
        // No answer: the same request again, with the same key.
      }
    }
  }

  private async act(n: Next): Promise<void> {
    const v = n.values ?? {};
    switch (n.action) {
      case 'pay': {
        const body = JSON.stringify({
          billType: v.billType,
          billReference: v.billReference,
          amount: v.amount,
          currency: v.currency,
          payer: { [v.payerKind ?? 'wallet']: v.payer },
          partnerReference: `ref-${randomBytes(6).toString('hex')}`,
        });
        await this.call('POST', '/bill/pay', body, `pay-${randomUUID()}`);
        return;
      }
      case 'read-payment':
        await this.call('GET', `/bill/pay/${v.paymentId ?? ''}`);
        return;
      case 'inquire':
        await this.call(
          'GET',
          `/bill/inquiry?billType=${encodeURIComponent(v.billType ?? '')}&billReference=${encodeURIComponent(v.billReference ?? '')}`,
        );
        return;
      default:
        throw new Error(`the REST client has no action ${n.action ?? ''}`);
    }
  }
}

// ---------------------------------------------------------------- ISO 20022

export interface Iso20022ClientDefects {
  /** CtrlSum is the first transaction's amount instead of the sum. */
  readonly ctrlSumOfFirstOnly?: boolean;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const msgId = (): string => `PRTN${randomBytes(10).toString('hex').toUpperCase()}`;

function sumDecimal(amounts: readonly string[]): string {
  const total = amounts
    .reduce((t, a) => t + BigInt(a.replace('.', '')), 0n)
    .toString()
    .padStart(3, '0');
  return `${total.slice(0, -2)}.${total.slice(-2)}`;
}

/** A bank's payment hub: pacs.008 (one or several bills), resends a lost message, returns, cancels. */
export class Iso20022PartnerClient {
  private key = '';
  private last: { msgId: string; e2e: string[]; amounts: string[] } | undefined;

  constructor(
    private readonly laneUrl: string,
    private readonly defects: Iso20022ClientDefects = {},
  ) {}

  async run(): Promise<void> {
    const session = await getJson<Session>(`${this.laneUrl}/certification/session`);
    this.key = session.apiKey;
    await follow(this.laneUrl, (n) => this.act(n));
  }

  private async post(path: string, xml: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const res = await request(`${this.laneUrl}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.key}`, 'content-type': 'application/xml' },
          body: xml,
        });
        await res.body.dump();
        return;
      } catch {
        // No answer: the same message again.
      }
    }
  }

  private pacs008(v: Record<string, string>, refs: string[], amounts: string[]): string {
    const id = msgId();
    const e2e = refs.map(() => `E2E-${randomBytes(6).toString('hex')}`);
    this.last = { msgId: id, e2e, amounts };
    const ctrlSum = this.defects.ctrlSumOfFirstOnly === true ? (amounts[0] ?? '0.00') : sumDecimal(amounts);
    const now = new Date().toISOString();
    const txs = refs
      .map(
        (ref, i) =>
          `<CdtTrfTxInf><PmtId><EndToEndId>${e2e[i] ?? ''}</EndToEndId></PmtId>` +
          `<IntrBkSttlmAmt Ccy="${esc(v.currency ?? 'BDT')}">${amounts[i] ?? ''}</IntrBkSttlmAmt><ChrgBr>SLEV</ChrgBr>` +
          `<Dbtr><Nm>Customer</Nm></Dbtr><DbtrAcct><Id><Othr><Id>${esc(v.account ?? '')}</Id></Othr></Id></DbtrAcct>` +
          '<DbtrAgt><FinInstnId><BICFI>PRTNBDDHXXX</BICFI></FinInstnId></DbtrAgt>' +
          '<CdtrAgt><FinInstnId><BICFI>BLGTBDDHXXX</BICFI></FinInstnId></CdtrAgt>' +
          `<Cdtr><Nm>Biller</Nm></Cdtr><Purp><Cd>${esc(v.purpose ?? 'ELEC')}</Cd></Purp>` +
          `<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>${esc(ref)}</Ref></CdtrRefInf></Strd></RmtInf></CdtTrfTxInf>`,
      )
      .join('');
    return (
      '<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf>' +
      `<GrpHdr><MsgId>${id}</MsgId><CreDtTm>${now.slice(0, 19)}Z</CreDtTm><NbOfTxs>${refs.length}</NbOfTxs><CtrlSum>${ctrlSum}</CtrlSum>` +
      `<IntrBkSttlmDt>${now.slice(0, 10)}</IntrBkSttlmDt><SttlmInf><SttlmMtd>CLRG</SttlmMtd></SttlmInf></GrpHdr>${txs}</FIToFICstmrCdtTrf></Document>`
    );
  }

  private async act(n: Next): Promise<void> {
    const v = n.values ?? {};
    const now = new Date().toISOString();
    switch (n.action) {
      case 'pay':
        await this.post('/iso20022/pacs.008', this.pacs008(v, [v.billReference ?? ''], [v.amount ?? '']));
        return;
      case 'pay-many':
        await this.post(
          '/iso20022/pacs.008',
          this.pacs008(v, (v.billReferences ?? '').split(','), (v.amounts ?? '').split(',')),
        );
        return;
      case 'return':
        await this.post(
          '/iso20022/pacs.004',
          '<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.004.001.09"><PmtRtr>' +
            `<GrpHdr><MsgId>${msgId()}</MsgId><CreDtTm>${now.slice(0, 19)}Z</CreDtTm><NbOfTxs>1</NbOfTxs><SttlmInf><SttlmMtd>CLRG</SttlmMtd></SttlmInf></GrpHdr>` +
            `<TxInf><RtrId>RTR-${randomBytes(4).toString('hex')}</RtrId><OrgnlGrpInf><OrgnlMsgId>${esc(v.originalMsgId ?? '')}</OrgnlMsgId><OrgnlMsgNmId>pacs.008.001.08</OrgnlMsgNmId></OrgnlGrpInf>` +
            `<OrgnlEndToEndId>${esc(v.originalEndToEndId ?? '')}</OrgnlEndToEndId><RtrdIntrBkSttlmAmt Ccy="BDT">${esc(v.amount ?? '')}</RtrdIntrBkSttlmAmt>` +
            '<RtrRsnInf><Rsn><Cd>AC04</Cd></Rsn></RtrRsnInf></TxInf></PmtRtr></Document>',
        );
        return;
      case 'cancel':
        await this.post(
          '/iso20022/camt.056',
          '<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.056.001.08"><FIToFIPmtCxlReq>' +
            `<Assgnmt><Id>${msgId()}</Id><Assgnr><Agt><FinInstnId><BICFI>PRTNBDDHXXX</BICFI></FinInstnId></Agt></Assgnr>` +
            `<Assgne><Agt><FinInstnId><BICFI>BLGTBDDHXXX</BICFI></FinInstnId></Agt></Assgne><CreDtTm>${now.slice(0, 19)}Z</CreDtTm></Assgnmt>` +
            `<Case><Id>CASE-${randomBytes(4).toString('hex')}</Id><Cretr><Agt><FinInstnId><BICFI>PRTNBDDHXXX</BICFI></FinInstnId></Agt></Cretr></Case>` +
            '<CtrlData><NbOfTxs>1</NbOfTxs></CtrlData>' +
            `<Undrlyg><TxInf><CxlId>CXL-${randomBytes(4).toString('hex')}</CxlId><OrgnlGrpInf><OrgnlMsgId>${esc(v.originalMsgId ?? '')}</OrgnlMsgId><OrgnlMsgNmId>pacs.008.001.08</OrgnlMsgNmId></OrgnlGrpInf>` +
            `<OrgnlEndToEndId>${esc(v.originalEndToEndId ?? '')}</OrgnlEndToEndId><CxlRsnInf><Rsn><Cd>DUPL</Cd></Rsn></CxlRsnInf></TxInf></Undrlyg></FIToFIPmtCxlReq></Document>`,
        );
        return;
      default:
        throw new Error(`the ISO 20022 client has no action ${n.action ?? ''}`);
    }
  }
}
