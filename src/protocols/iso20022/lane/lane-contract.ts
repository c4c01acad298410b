import type { LaneContext } from '../../../domain/partners/classify';
import type { Partner } from '../../../domain/partners/partner';
import type { BuiltAnswer, DocumentType, IsoStatus } from '..';

/* What the ISO 20022 lane's parts share: its endpoints, who calls it, what it answers. */

/** The endpoints of the lane, each accepting the message types listed. */
export const ISO20022_ENDPOINTS = {
  'pacs.008': ['pacs.008.001.08'],
  'pain.001': ['pain.001.001.09', 'pain.001.001.03'],
  'pacs.004': ['pacs.004.001.09'],
  'camt.056': ['camt.056.001.08'],
} as const satisfies Record<string, readonly DocumentType[]>;

export type Iso20022Endpoint = keyof typeof ISO20022_ENDPOINTS;

export function accepts(endpoint: Iso20022Endpoint, type: DocumentType): boolean {
  return (ISO20022_ENDPOINTS[endpoint] as readonly DocumentType[]).includes(type);
}

/** Idempotency scopes (per partner): payments, returns and cancellations each have their own. */
export const ISO20022_PAYMENT_SCOPE = 'iso20022:payment';
export const ISO20022_RETURN_SCOPE = 'iso20022:return';
export const ISO20022_CANCELLATION_SCOPE = 'iso20022:cancellation';

/** Who sent the message and on which lane (from the transport's authentication). */
export interface Iso20022Caller {
  readonly partner: Partner;
  readonly lane: LaneContext;
}

/** Input no ISO 20022 answer can be addressed to: the transport answers it as an error (HTTP 4xx). */
export interface Iso20022Refusal {
  readonly status: 400;
  readonly slug: string;
  readonly title: string;
  readonly detail: string;
  readonly errors?: readonly { readonly field: string; readonly message: string }[];
}

export type Iso20022Reply =
  | { readonly kind: 'answer'; readonly answer: BuiltAnswer }
  | { readonly kind: 'refusal'; readonly refusal: Iso20022Refusal };

export const narr = (status: IsoStatus['status'], additionalInfo: string): IsoStatus => ({
  status,
  reason: { code: 'NARR', additionalInfo },
});

/** Runs `fn` over the items with at most `limit` at a time; results in the items' order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}
