import { Iso8583Error } from '../errors';
import { type FieldValue } from './field';
import { type IsoMessage } from './message';
import { type Subfields } from './subfields';

/**
 * Typed reads of an unpacked message. A value of the other kind means the caller and the spec disagree
 * about the field (a programming error), so it throws rather than returning undefined.
 */
function wrongType(n: number, want: string, got: FieldValue): never {
  const kind = typeof got === 'string' ? 'text' : Buffer.isBuffer(got) ? 'bytes' : 'sub-elements';
  throw new Iso8583Error('BAD_VALUE_TYPE', `expected ${want}, the field holds ${kind}`, { field: n });
}

export function getText(message: IsoMessage, n: number): string | undefined {
  const v = message.fields.get(n);
  if (v === undefined || typeof v === 'string') return v;
  return wrongType(n, 'text', v);
}

export function getBinary(message: IsoMessage, n: number): Buffer | undefined {
  const v = message.fields.get(n);
  if (v === undefined || Buffer.isBuffer(v)) return v;
  return wrongType(n, 'bytes', v);
}

export function getSubfields(message: IsoMessage, n: number): Subfields | undefined {
  const v = message.fields.get(n);
  if (v === undefined || v instanceof Map) return v;
  return wrongType(n, 'sub-elements', v);
}
