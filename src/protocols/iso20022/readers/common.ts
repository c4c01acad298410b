import { at, child, childrenNamed, textAt, type XmlNode } from '../xml-tree';

/** An amount exactly as sent: value text untouched ("2450.10" stays "2450.10"), Ccy attribute. */
export interface Amount {
  readonly value: string;
  readonly currency: string;
  readonly line: number;
}

export interface GenericId {
  readonly id: string;
  readonly schemeCode?: string;
  readonly schemeProprietary?: string;
  readonly issuer?: string;
}

export interface Party {
  readonly name?: string;
  readonly organisation?: {
    /** AnyBIC (v09+) or BICOrBEI (pain.001.001.03). */
    readonly bic?: string;
    readonly lei?: string;
    readonly others: readonly GenericId[];
  };
  readonly person?: { readonly others: readonly GenericId[] };
}

export interface Account {
  readonly iban?: string;
  readonly other?: GenericId;
  readonly currency?: string;
}

export interface Purpose {
  readonly code?: string;
  readonly proprietary?: string;
}

export interface CreditorReference {
  readonly ref?: string;
  readonly typeCode?: string;
  readonly typeProprietary?: string;
}

export interface Remittance {
  readonly unstructured: readonly string[];
  readonly creditorReferences: readonly CreditorReference[];
}

export interface Reason {
  readonly code?: string;
  readonly proprietary?: string;
  readonly additionalInfo: readonly string[];
  readonly line: number;
}

export function readAmount(node: XmlNode | undefined): Amount | undefined {
  if (node === undefined) return undefined;
  return { value: node.text, currency: node.attrs['Ccy'] ?? '', line: node.line };
}

function readGenericId(node: XmlNode): GenericId {
  return {
    id: textAt(node, 'Id') ?? '',
    ...opt('schemeCode', textAt(node, 'SchmeNm', 'Cd')),
    ...opt('schemeProprietary', textAt(node, 'SchmeNm', 'Prtry')),
    ...opt('issuer', textAt(node, 'Issr')),
  };
}

export function readParty(node: XmlNode | undefined): Party | undefined {
  if (node === undefined) return undefined;
  const org = at(node, 'Id', 'OrgId');
  const prvt = at(node, 'Id', 'PrvtId');
  return {
    ...opt('name', textAt(node, 'Nm')),
    ...(org === undefined
      ? {}
      : {
          organisation: {
            ...opt('bic', textAt(org, 'AnyBIC') ?? textAt(org, 'BICOrBEI')),
            ...opt('lei', textAt(org, 'LEI')),
            others: childrenNamed(org, 'Othr').map(readGenericId),
          },
        }),
    ...(prvt === undefined ? {} : { person: { others: childrenNamed(prvt, 'Othr').map(readGenericId) } }),
  };
}

export function readAccount(node: XmlNode | undefined): Account | undefined {
  if (node === undefined) return undefined;
  const othr = at(node, 'Id', 'Othr');
  return {
    ...opt('iban', textAt(node, 'Id', 'IBAN')),
    ...(othr === undefined ? {} : { other: readGenericId(othr) }),
    ...opt('currency', textAt(node, 'Ccy')),
  };
}

export function readPurpose(node: XmlNode | undefined): Purpose | undefined {
  if (node === undefined) return undefined;
  return { ...opt('code', textAt(node, 'Cd')), ...opt('proprietary', textAt(node, 'Prtry')) };
}

export function readRemittance(node: XmlNode | undefined): Remittance | undefined {
  if (node === undefined) return undefined;
  return {
    unstructured: childrenNamed(node, 'Ustrd').map((u) => u.text),
    creditorReferences: childrenNamed(node, 'Strd')
      .map((s) => child(s, 'CdtrRefInf'))
      .filter((c): c is XmlNode => c !== undefined)
      .map((c) => ({
        ...opt('ref', textAt(c, 'Ref')),
        ...opt('typeCode', textAt(c, 'Tp', 'CdOrPrtry', 'Cd')),
        ...opt('typeProprietary', textAt(c, 'Tp', 'CdOrPrtry', 'Prtry')),
      })),
  };
}

export function readReasons(nodes: readonly XmlNode[]): Reason[] {
  return nodes.map((n) => ({
    ...opt('code', textAt(n, 'Rsn', 'Cd')),
    ...opt('proprietary', textAt(n, 'Rsn', 'Prtry')),
    additionalInfo: childrenNamed(n, 'AddtlInf').map((a) => a.text),
    line: n.line,
  }));
}

/** The GrpHdr fields pacs.008, pain.001 and pacs.004 share. */
export interface GroupHeaderCounts {
  readonly msgId: string;
  readonly creDtTm: string;
  readonly nbOfTxs: string;
  readonly nbOfTxsLine: number;
  readonly ctrlSum?: string;
}

export function readGroupHeaderCounts(gh: XmlNode | undefined): GroupHeaderCounts {
  return {
    msgId: textAt(gh, 'MsgId') ?? '',
    creDtTm: textAt(gh, 'CreDtTm') ?? '',
    nbOfTxs: textAt(gh, 'NbOfTxs') ?? '',
    nbOfTxsLine: child(gh, 'NbOfTxs')?.line ?? 0,
    ...opt('ctrlSum', textAt(gh, 'CtrlSum')),
  };
}

/** The references to the original transaction a return, cancellation or status report carries. */
export function readOriginalIds(tx: XmlNode): {
  readonly orgnlInstrId?: string;
  readonly orgnlEndToEndId?: string;
  readonly orgnlTxId?: string;
  readonly orgnlUetr?: string;
} {
  return {
    ...opt('orgnlInstrId', textAt(tx, 'OrgnlInstrId')),
    ...opt('orgnlEndToEndId', textAt(tx, 'OrgnlEndToEndId')),
    ...opt('orgnlTxId', textAt(tx, 'OrgnlTxId')),
    ...opt('orgnlUetr', textAt(tx, 'OrgnlUETR')),
  };
}

/** The account identifier a payer is known by: IBAN, else Othr/Id. */
export function accountIdentifier(account: Account | undefined): string | undefined {
  return account?.iban ?? account?.other?.id;
}

/**
 * The creditor's identification a biller is registered under: an organisation's first Othr/Id (where
 * scheme-assigned biller codes live), else its BIC or LEI, else a person's first Othr/Id.
 */
export function partyIdentifier(party: Party | undefined): string | undefined {
  const org = party?.organisation;
  return org?.others[0]?.id ?? org?.bic ?? org?.lei ?? party?.person?.others[0]?.id;
}

/** Spreads a property only when it has a value, keeping optional fields truly absent. */
export function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
