import { buildRejection, type Clock, type ReceiveFailure } from '..';
import {
  accepts,
  ISO20022_ENDPOINTS,
  type Iso20022Endpoint,
  type Iso20022Refusal,
  type Iso20022Reply,
} from './lane-contract';

/**
 * Messages the engine could not take (refused before parsing, malformed, unsupported, in the wrong
 * envelope, or invalid against their schema) and messages sent to the wrong endpoint. A schema-invalid
 * message whose MsgId could be read is answered in ISO 20022 (GrpSts RJCT FF01); the rest can only be
 * refused by the transport (HTTP 400 problem+json). Nothing is posted either way.
 */
export function refusalOf(
  endpoint: Iso20022Endpoint,
  failure: ReceiveFailure,
  answer: { readonly msgId: string; readonly clock: Clock },
): Iso20022Reply {
  switch (failure.kind) {
    case 'refused':
      return refusal('iso20022-refused', REFUSAL_TITLES[failure.reason], failure.message);
    case 'malformed':
      return refusal('iso20022-malformed', 'Not well-formed XML', firstLine(failure.errors), {
        errors: failure.errors.slice(0, 10).map(problemField),
      });
    case 'unsupported':
      return refusal('iso20022-unsupported', 'Message type not accepted', failure.message);
    case 'envelope':
      return refusal('iso20022-envelope', 'Wrong envelope around AppHdr and Document', failure.message);
    case 'schema-invalid': {
      if (!accepts(endpoint, failure.messageType)) return wrongMessage(endpoint, failure.messageType);
      // GrpSts RJCT FF01 naming the first error, when the MsgId could be read; nothing is posted.
      const built = buildRejection(failure, answer);
      if (built !== undefined) return { kind: 'answer', answer: built };
      return refusal(
        'iso20022-schema-invalid',
        `The message does not conform to the ${failure.messageType} schema`,
        firstLine(failure.errors),
        { errors: failure.errors.slice(0, 10).map(problemField) },
      );
    }
  }
}

export function wrongMessage(endpoint: Iso20022Endpoint, type: string): Iso20022Reply {
  const expected = ISO20022_ENDPOINTS[endpoint].join(' or ');
  return refusal(
    'iso20022-wrong-message-type',
    'Message type does not match the endpoint',
    `POST /iso20022/${endpoint} accepts ${expected}, not ${type}`,
  );
}

const REFUSAL_TITLES: Record<Extract<ReceiveFailure, { kind: 'refused' }>['reason'], string> = {
  empty: 'Empty body',
  'too-large': 'Request body too large',
  doctype: 'DOCTYPE and ENTITY declarations are not accepted',
  'not-utf8': 'Only UTF-8 encoded XML is accepted',
};

function refusal(
  slug: string,
  title: string,
  detail: string,
  extra: Partial<Iso20022Refusal> = {},
): Iso20022Reply {
  return { kind: 'refusal', refusal: { status: 400, slug, title, detail, ...extra } };
}

function problemField(e: { message: string; line: number }): { field: string; message: string } {
  return { field: `line ${e.line}`, message: e.message };
}

function firstLine(errors: readonly { message: string; line: number }[]): string {
  const e = errors[0];
  return e === undefined ? 'no detail' : `line ${e.line}: ${e.message}`;
}
