/* ISO 20022 requests for the e2e tests and the bench: the demo bank's customers paying bills. */

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export const DEMO_BANK_BIC = 'PRTNBDDHXXX';
export const BILLGATE_BIC = 'BLGTBDDHXXX';

export interface CreditTransferTx {
  readonly endToEndId: string;
  readonly amount: string;
  readonly currency?: string;
  readonly uetr?: string;
  readonly instrId?: string;
  readonly txId?: string;
  /** Purpose code (ELEC, WTER, GASB...). */
  readonly purpose?: string;
  /** Creditor identification naming a biller ("sim-water"). */
  readonly creditorId?: string;
  /** Structured creditor reference: the bill reference. */
  readonly reference?: string;
  /** Unstructured remittance: the bill reference when no structured one is sent. */
  readonly ustrd?: string;
  /** DbtrAcct/Id/Othr/Id (pacs.008 only; pain.001 has it per PmtInf). */
  readonly account?: string;
  /** An element name to swap in for ChrgBr's value, to make the message schema-invalid. */
  readonly chargeBearer?: string;
}

function creditor(tx: CreditTransferTx, name: string): string {
  const id =
    tx.creditorId === undefined ? '' : `<Id><OrgId><Othr><Id>${esc(tx.creditorId)}</Id></Othr></OrgId></Id>`;
  return `<Cdtr><Nm>${esc(name)}</Nm>${id}</Cdtr>`;
}

function purposeAndRemittance(tx: CreditTransferTx): string {
  const purp = tx.purpose === undefined ? '' : `<Purp><Cd>${tx.purpose}</Cd></Purp>`;
  let rmt = '';
  if (tx.reference !== undefined) {
    rmt = `<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>${esc(tx.reference)}</Ref></CdtrRefInf></Strd></RmtInf>`;
  } else if (tx.ustrd !== undefined) {
    rmt = `<RmtInf><Ustrd>${esc(tx.ustrd)}</Ustrd></RmtInf>`;
  }
  return purp + rmt;
}

function pmtId(tx: CreditTransferTx): string {
  return [
    '<PmtId>',
    tx.instrId === undefined ? '' : `<InstrId>${esc(tx.instrId)}</InstrId>`,
    `<EndToEndId>${esc(tx.endToEndId)}</EndToEndId>`,
    tx.txId === undefined ? '' : `<TxId>${esc(tx.txId)}</TxId>`,
    tx.uetr === undefined ? '' : `<UETR>${tx.uetr}</UETR>`,
    '</PmtId>',
  ].join('');
}

function appHdr(msgId: string, msgDefIdr: string): string {
  const fi = (bic: string): string => `<FIId><FinInstnId><BICFI>${bic}</BICFI></FinInstnId></FIId>`;
  return (
    `<AppHdr xmlns="urn:iso:std:iso:20022:tech:xsd:head.001.001.02">` +
    `<Fr>${fi(DEMO_BANK_BIC)}</Fr><To>${fi(BILLGATE_BIC)}</To>` +
    `<BizMsgIdr>${esc(msgId)}</BizMsgIdr><MsgDefIdr>${msgDefIdr}</MsgDefIdr>` +
    `<BizSvc>billgate.billpay.01</BizSvc><CreDt>2026-05-14T09:30:00+06:00</CreDt></AppHdr>`
  );
}

function wrap(document: string, msgId: string, msgDefIdr: string, withAppHdr: boolean): string {
  const body = withAppHdr
    ? `<Envelope xmlns="urn:swift:xsd:envelope">\n${appHdr(msgId, msgDefIdr)}\n${document}\n</Envelope>`
    : document;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}\n`;
}

export function pacs008(
  msgId: string,
  txs: readonly CreditTransferTx[],
  options: { appHdr?: boolean; nbOfTxs?: number } = {},
): string {
  const agent = (name: string, bic: string): string =>
    `<${name}><FinInstnId><BICFI>${bic}</BICFI></FinInstnId></${name}>`;
  const transactions = txs.map((tx) =>
    [
      '<CdtTrfTxInf>',
      pmtId(tx),
      `<IntrBkSttlmAmt Ccy="${tx.currency ?? 'BDT'}">${tx.amount}</IntrBkSttlmAmt>`,
      `<ChrgBr>${tx.chargeBearer ?? 'SLEV'}</ChrgBr>`,
      '<Dbtr><Nm>Demo Bank customer</Nm></Dbtr>',
      tx.account === undefined
        ? ''
        : `<DbtrAcct><Id><Othr><Id>${esc(tx.account)}</Id></Othr></Id></DbtrAcct>`,
      agent('DbtrAgt', DEMO_BANK_BIC),
      agent('CdtrAgt', BILLGATE_BIC),
      creditor(tx, 'Biller'),
      purposeAndRemittance(tx),
      '</CdtTrfTxInf>',
    ].join(''),
  );
  const document =
    `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf>` +
    `<GrpHdr><MsgId>${esc(msgId)}</MsgId><CreDtTm>2026-05-14T09:30:00+06:00</CreDtTm>` +
    `<NbOfTxs>${options.nbOfTxs ?? txs.length}</NbOfTxs><IntrBkSttlmDt>2026-05-14</IntrBkSttlmDt>` +
    `<SttlmInf><SttlmMtd>CLRG</SttlmMtd></SttlmInf></GrpHdr>\n${transactions.join('\n')}\n` +
    `</FIToFICstmrCdtTrf></Document>`;
  return wrap(document, msgId, 'pacs.008.001.08', options.appHdr ?? false);
}

export interface PaymentInformation {
  readonly pmtInfId: string;
  readonly account: string;
  readonly txs: readonly CreditTransferTx[];
}

export function pain001v09(msgId: string, blocks: readonly PaymentInformation[]): string {
  const count = blocks.reduce((n, b) => n + b.txs.length, 0);
  const pmtInfs = blocks.map((b) =>
    [
      `<PmtInf><PmtInfId>${esc(b.pmtInfId)}</PmtInfId><PmtMtd>TRF</PmtMtd>`,
      `<ReqdExctnDt><Dt>2026-05-15</Dt></ReqdExctnDt><Dbtr><Nm>Acme Garments Ltd</Nm></Dbtr>`,
      `<DbtrAcct><Id><Othr><Id>${esc(b.account)}</Id></Othr></Id></DbtrAcct>`,
      `<DbtrAgt><FinInstnId><BICFI>${DEMO_BANK_BIC}</BICFI></FinInstnId></DbtrAgt>`,
      ...b.txs.map(
        (tx) =>
          `<CdtTrfTxInf>${pmtId(tx)}<Amt><InstdAmt Ccy="${tx.currency ?? 'BDT'}">${tx.amount}</InstdAmt></Amt>` +
          `${creditor(tx, 'Biller')}${purposeAndRemittance(tx)}</CdtTrfTxInf>`,
      ),
      '</PmtInf>',
    ].join('\n'),
  );
  const document =
    `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn>` +
    `<GrpHdr><MsgId>${esc(msgId)}</MsgId><CreDtTm>2026-05-14T08:00:00+06:00</CreDtTm>` +
    `<NbOfTxs>${count}</NbOfTxs><InitgPty><Nm>Acme Garments Ltd</Nm></InitgPty></GrpHdr>\n` +
    `${pmtInfs.join('\n')}\n</CstmrCdtTrfInitn></Document>`;
  return wrap(document, msgId, 'pain.001.001.09', false);
}

export interface OriginalRef {
  readonly msgId?: string;
  readonly endToEndId?: string;
  readonly uetr?: string;
}

function originalIds(o: OriginalRef): string {
  return [
    o.msgId === undefined
      ? ''
      : `<OrgnlGrpInf><OrgnlMsgId>${esc(o.msgId)}</OrgnlMsgId><OrgnlMsgNmId>pacs.008.001.08</OrgnlMsgNmId></OrgnlGrpInf>`,
    o.endToEndId === undefined ? '' : `<OrgnlEndToEndId>${esc(o.endToEndId)}</OrgnlEndToEndId>`,
    o.uetr === undefined ? '' : `<OrgnlUETR>${o.uetr}</OrgnlUETR>`,
  ].join('');
}

export function pacs004(
  msgId: string,
  rtrId: string,
  original: OriginalRef,
  amount: string,
  currency = 'BDT',
): string {
  const document =
    `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.004.001.09"><PmtRtr>` +
    `<GrpHdr><MsgId>${esc(msgId)}</MsgId><CreDtTm>2026-05-15T10:00:00+06:00</CreDtTm><NbOfTxs>1</NbOfTxs>` +
    `<SttlmInf><SttlmMtd>CLRG</SttlmMtd></SttlmInf></GrpHdr>` +
    `<TxInf><RtrId>${esc(rtrId)}</RtrId>${originalIds(original)}` +
    `<RtrdIntrBkSttlmAmt Ccy="${esc(currency)}">${amount}</RtrdIntrBkSttlmAmt>` +
    `<RtrRsnInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>Debtor account closed</AddtlInf></RtrRsnInf></TxInf>` +
    `</PmtRtr></Document>`;
  return wrap(document, msgId, 'pacs.004.001.09', false);
}

export function camt056(assignmentId: string, cxlId: string, original: OriginalRef): string {
  const agt = `<Agt><FinInstnId><BICFI>${DEMO_BANK_BIC}</BICFI></FinInstnId></Agt>`;
  const us = `<Agt><FinInstnId><BICFI>${BILLGATE_BIC}</BICFI></FinInstnId></Agt>`;
  const document =
    `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.056.001.08"><FIToFIPmtCxlReq>` +
    `<Assgnmt><Id>${esc(assignmentId)}</Id><Assgnr>${agt}</Assgnr><Assgne>${us}</Assgne>` +
    `<CreDtTm>2026-05-14T11:00:00+06:00</CreDtTm></Assgnmt>` +
    `<Case><Id>CASE-${esc(assignmentId).slice(0, 30)}</Id><Cretr>${agt}</Cretr></Case>` +
    `<CtrlData><NbOfTxs>1</NbOfTxs></CtrlData>` +
    `<Undrlyg><TxInf><CxlId>${esc(cxlId)}</CxlId>${originalIds(original)}` +
    `<CxlRsnInf><Rsn><Cd>DUPL</Cd></Rsn><AddtlInf>Sent twice by the channel</AddtlInf></CxlRsnInf>` +
    `</TxInf></Undrlyg></FIToFIPmtCxlReq></Document>`;
  return wrap(document, assignmentId, 'camt.056.001.08', false);
}

/** The answer with what changes from run to run (its MsgId/BizMsgIdr and creation times) masked. */
export function normaliseAnswer(xml: string): string {
  return xml
    .replace(/BG[0-9a-f]{32}/g, '{answer-id}')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00/g, '{created}');
}
