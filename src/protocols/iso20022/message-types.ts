/** Message definitions whose Document this library validates. */
export const DOCUMENT_TYPES = [
  'pacs.008.001.08',
  'pacs.002.001.10',
  'pacs.004.001.09',
  'pain.001.001.09',
  'pain.001.001.03',
  'pain.002.001.10',
  'pain.002.001.03',
  'camt.056.001.08',
] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/** The one Business Application Header version accepted and emitted. */
export const APP_HDR_TYPE = 'head.001.001.02';
export type AppHdrType = typeof APP_HDR_TYPE;

export type SchemaName = DocumentType | AppHdrType;
export const SCHEMA_NAMES: readonly SchemaName[] = [...DOCUMENT_TYPES, APP_HDR_TYPE];

/** Messages the library answers, with what it answers them with. */
export type PaymentRequestType = 'pacs.008.001.08' | 'pain.001.001.09' | 'pain.001.001.03';

const NS_PREFIX = 'urn:iso:std:iso:20022:tech:xsd:';

export function namespaceOf(name: SchemaName): string {
  return NS_PREFIX + name;
}

/** The message definition named by a namespace URI, whether or not it is one we carry. */
export function messageDefinitionOf(namespaceUri: string): string | undefined {
  return namespaceUri.startsWith(NS_PREFIX) ? namespaceUri.slice(NS_PREFIX.length) : undefined;
}

export function isDocumentType(value: string): value is DocumentType {
  return (DOCUMENT_TYPES as readonly string[]).includes(value);
}
