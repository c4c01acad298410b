import { formatMajorAmount } from '../../../domain/money/money';
import type { StatementHeader, StatementLine } from '../../../domain/recon/settlement-statement';
import { escapeAttr, escapeText } from '../xml-writer';

/** Where a statement's figures come from (SettlementStatements: the ledger's journals). */
export interface StatementSource {
  header(partnerId: string, businessDate: string): Promise<StatementHeader>;
  lines(header: StatementHeader, settlementAccount: string): AsyncIterable<StatementLine>;
}

const NS = 'urn:iso:std:iso:20022:tech:xsd:camt.053.001.08';

function e(name: string, text: string): string {
  return `<${name}>${escapeText(text)}</${name}>`;
}

function amt(name: string, minor: bigint, currency: string): string {
  return `<${name} Ccy="${escapeAttr(currency)}">${formatMajorAmount(minor, currency)}</${name}>`;
}

/** Max35Text: our ids fit; anything longer is cut (the full value is in the CSV statement). */
function id35(value: string): string {
  return value.length <= 35 ? value : value.slice(0, 35);
}

function entry(l: StatementLine): string {
  const refs = [
    e('AcctSvcrRef', id35(`JE${l.journalEntryId}`)),
    // Max35Text: our payment id without its hyphens (32 hex digits); the reader puts them back.
    e('InstrId', l.paymentId.replace(/-/g, '')),
    e('EndToEndId', id35(l.partnerReference)),
  ].join('');
  return (
    '<Ntry>' +
    amt('Amt', l.amountMinor, l.currency) +
    e('CdtDbtInd', l.direction) +
    (l.kind === 'reversal' ? e('RvslInd', 'true') : '') +
    '<Sts><Cd>BOOK</Cd></Sts>' +
    `<BookgDt>${e('DtTm', l.bookedAt.toISOString())}</BookgDt>` +
    `<ValDt>${e('Dt', l.bookedAt.toISOString().slice(0, 10))}</ValDt>` +
    e('AcctSvcrRef', id35(l.billerReceipt ?? `JE${l.journalEntryId}`)) +
    `<BkTxCd><Prtry>${e('Cd', l.kind === 'payment' ? 'BILLPAY' : 'BILLPAY-REVERSAL')}${e('Issr', 'billgate')}</Prtry></BkTxCd>` +
    `<NtryDtls><TxDtls><Refs>${refs}</Refs>${amt('Amt', l.amountMinor, l.currency)}${e('CdtDbtInd', l.direction)}</TxDtls></NtryDtls>` +
    e('AddtlNtryInf', `${l.kind} of ${l.billType} bill`) +
    '</Ntry>\n'
  );
}

function balance(code: 'OPBD' | 'CLBD', netMinor: bigint, currency: string, date: string): string {
  const abs = netMinor < 0n ? -netMinor : netMinor;
  return (
    `<Bal><Tp><CdOrPrtry>${e('Cd', code)}</CdOrPrtry></Tp>${amt('Amt', abs, currency)}` +
    `${e('CdtDbtInd', netMinor < 0n ? 'CRDT' : 'DBIT')}<Dt>${e('Dt', date)}</Dt></Bal>`
  );
}

/**
 * Our settlement statement for a partner and a business day as an ISO 20022 camt.053.001.08: one
 * Stmt per settlement account, one booked entry per payment (DBIT) and reversal (CRDT, RvslInd),
 * EndToEndId = the partner's reference, InstrId = our payment id (32 hex digits, no hyphens), the biller's receipt as
 * AcctSvcrRef; the closing balance is the day's net (opening zero: the statement covers one day).
 * Written as a stream of chunks, so a large day is never one string.
 */
export async function* camt053Statement(
  statements: StatementSource,
  partnerId: string,
  businessDate: string,
  now: Date = new Date(),
): AsyncIterable<string> {
  const header: StatementHeader = await statements.header(partnerId, businessDate);
  const msgId = id35(`BGSTMT-${businessDate.replace(/-/g, '')}-${partnerId}`);
  yield '<?xml version="1.0" encoding="UTF-8"?>\n';
  yield `<Document xmlns="${NS}"><BkToCstmrStmt>`;
  yield `<GrpHdr>${e('MsgId', msgId)}${e('CreDtTm', now.toISOString())}<AddtlInf>${escapeText(
    `billgate settlement statement of ${partnerId} for ${businessDate} (${header.timeZone})`,
  )}</AddtlInf></GrpHdr>\n`;
  if (header.totals.length === 0) {
    // A day with no movement still states so: one empty statement of the partner's position.
    yield (
      `<Stmt>${e('Id', id35(`${msgId}-0`))}${e('CreDtTm', now.toISOString())}` +
      `<FrToDt>${e('FrDtTm', header.from.toISOString())}${e('ToDtTm', header.to.toISOString())}</FrToDt>` +
      `<Acct><Id><Othr>${e('Id', id35(`partner:${partnerId}`))}</Othr></Id></Acct>` +
      balance('OPBD', 0n, 'BDT', businessDate) +
      balance('CLBD', 0n, 'BDT', businessDate) +
      '</Stmt>\n'
    );
  }
  let n = 0;
  for (const t of header.totals) {
    n += 1;
    const count = t.payments + t.reversals;
    const net = t.netMinor < 0n ? -t.netMinor : t.netMinor;
    yield (
      `<Stmt>${e('Id', id35(`${msgId}-${n}`))}${e('CreDtTm', now.toISOString())}` +
      `<FrToDt>${e('FrDtTm', header.from.toISOString())}${e('ToDtTm', header.to.toISOString())}</FrToDt>` +
      `<Acct><Id><Othr>${e('Id', id35(t.settlementAccount))}</Othr></Id>${e('Ccy', t.currency)}${e('Nm', `${partnerId} at ${t.settlementAccount}`.slice(0, 70))}</Acct>` +
      balance('OPBD', 0n, t.currency, businessDate) +
      balance('CLBD', t.netMinor, t.currency, businessDate) +
      `<TxsSummry><TtlNtries>${e('NbOfNtries', String(count))}${e('Sum', formatMajorAmount(t.debitsMinor + t.creditsMinor, t.currency))}` +
      `<TtlNetNtry>${e('Amt', formatMajorAmount(net, t.currency))}${e('CdtDbtInd', t.netMinor < 0n ? 'CRDT' : 'DBIT')}</TtlNetNtry></TtlNtries>` +
      `<TtlCdtNtries>${e('NbOfNtries', String(t.reversals))}${e('Sum', formatMajorAmount(t.creditsMinor, t.currency))}</TtlCdtNtries>` +
      `<TtlDbtNtries>${e('NbOfNtries', String(t.payments))}${e('Sum', formatMajorAmount(t.debitsMinor, t.currency))}</TtlDbtNtries></TxsSummry>\n`
    );
    for await (const l of statements.lines(header, t.settlementAccount)) yield entry(l);
    yield '</Stmt>\n';
  }
  yield '</BkToCstmrStmt></Document>\n';
}
