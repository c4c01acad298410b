import type { AssertionResult } from '../domain/certification/assertions';
import type { Iso20022Engine, ReceiveFailure } from '../protocols/iso20022';
import type { Dialect, UnpackedMessage } from '../protocols/iso8583';
import { billPayBodySchema } from '../protocols/rest/bill-pay.request';

/**
 * What every message a partner's client sends must be, whatever the case: the checks the harness
 * makes before a case's own expectations when it plays the bank. They use the gateway's own
 * readers (the dialect's codec and required fields, the ISO 20022 XSDs and business rules, the
 * REST request schema), so a client that passes here is read the same way in production.
 */

const check = (description: string, passed: boolean, expected: string, actual: string | null) =>
  ({ description, passed, expected, actual }) satisfies AssertionResult;

/** How far field 7 may be from the harness's clock: a partner whose clock drifts more is refused. */
export const TRANSMISSION_TIME_TOLERANCE_MS = 10 * 60_000;

/**
 * Field 7 (transmission date and time) is MMDDhhmmss in GMT: a valid date and time, within
 * TRANSMISSION_TIME_TOLERANCE_MS of `now` (a year boundary is taken either way).
 */
export function transmissionTimeProblem(value: string, now: Date): string | undefined {
  const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(value);
  if (m === null) return 'not 10 digits MMDDhhmmss';
  const [month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    return 'not a date and time MMDDhhmmss';
  }
  const year = now.getUTCFullYear();
  const nearest = [year - 1, year, year + 1]
    .map((y) => Date.UTC(y, month - 1, day, hour, minute, second))
    .filter((t) => new Date(t).getUTCDate() === day)
    .map((t) => Math.abs(t - now.getTime()));
  if (nearest.length === 0) return 'not a calendar date';
  const off = Math.min(...nearest);
  if (off > TRANSMISSION_TIME_TOLERANCE_MS) {
    return `${Math.round(off / 60_000)} minutes away from the harness's clock (GMT)`;
  }
  return undefined;
}

export function iso8583Checks(
  dialect: Dialect,
  decoded: UnpackedMessage | undefined,
  decodeError: string | undefined,
  now: Date,
): AssertionResult[] {
  const out: AssertionResult[] = [
    check(
      `the message decodes in dialect ${dialect.name}`,
      decoded !== undefined,
      'a message the codec reads',
      decodeError ?? null,
    ),
  ];
  if (decoded === undefined) return out;
  const missing = dialect.spec.requiredFields(decoded.mti).filter((n) => !decoded.fields.has(n));
  out.push(
    check(
      `every field ${dialect.name} requires of an ${decoded.mti} is present`,
      missing.length === 0,
      'no field missing',
      missing.length === 0 ? null : `missing ${missing.map((n) => `field ${n}`).join(', ')}`,
    ),
  );
  const f7 = decoded.fields.get(7);
  if (typeof f7 === 'string') {
    const problem = transmissionTimeProblem(f7, now);
    out.push(
      check(
        'field 7 is the transmission time, MMDDhhmmss in GMT',
        problem === undefined,
        `MMDDhhmmss within ${TRANSMISSION_TIME_TOLERANCE_MS / 60_000} minutes of the harness's clock`,
        problem === undefined ? f7 : `${JSON.stringify(f7)}: ${problem}`,
      ),
    );
  }
  return out;
}

const header = (headers: Readonly<Record<string, string>>, name: string): string | undefined => headers[name];

export function restChecks(
  method: string,
  path: string,
  headers: Readonly<Record<string, string>>,
  body: string,
): AssertionResult[] {
  const auth = header(headers, 'authorization');
  const out: AssertionResult[] = [
    check(
      'Authorization carries the partner credential (Bearer)',
      auth !== undefined && /^Bearer \S+$/.test(auth),
      'Bearer <API key>',
      auth === undefined ? null : '[redacted]',
    ),
  ];
  if (method !== 'POST' || path.split('?')[0] !== '/bill/pay') return out;
  const key = header(headers, 'idempotency-key');
  out.push(
    check(
      'Idempotency-Key is present (every state-changing call carries one)',
      key !== undefined && key.trim() !== '' && key.length <= 255,
      'a key of 1-255 characters',
      key ?? null,
    ),
  );
  const type = header(headers, 'content-type') ?? '';
  out.push(
    check(
      'Content-Type is application/json',
      /^application\/json\b/.test(type),
      'application/json',
      type || null,
    ),
  );
  let json: unknown;
  let problems: string[];
  try {
    json = JSON.parse(body);
    const parsed = billPayBodySchema.safeParse(json);
    problems = parsed.success
      ? []
      : parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
  } catch {
    problems = ['the body is not JSON'];
  }
  out.push(
    check(
      'the body is a bill payment as the REST lane reads it',
      problems.length === 0,
      'no problem',
      problems.length === 0 ? null : problems.join('; '),
    ),
  );
  return out;
}

function describeFailure(f: ReceiveFailure): string {
  switch (f.kind) {
    case 'schema-invalid':
      return `${f.messageType}: ${f.errors
        .slice(0, 3)
        .map((e) => `line ${e.line}: ${e.message}`)
        .join('; ')}`;
    case 'malformed':
      return `not well-formed: ${f.errors[0]?.message ?? ''}`;
    default:
      return `${f.kind}: ${'message' in f ? f.message : ''}`;
  }
}

export function iso20022Checks(
  engine: Iso20022Engine,
  headers: Readonly<Record<string, string>>,
  body: string,
): AssertionResult[] {
  const auth = header(headers, 'authorization');
  const type = header(headers, 'content-type') ?? '';
  const out: AssertionResult[] = [
    check(
      'Authorization carries the partner credential (Bearer)',
      auth !== undefined && /^Bearer \S+$/.test(auth),
      'Bearer <API key>',
      auth === undefined ? null : '[redacted]',
    ),
    check('Content-Type is XML', /^(application|text)\/xml\b/.test(type), 'application/xml', type || null),
  ];
  const received = engine.receive(body);
  if (!received.ok) {
    out.push(check('the message conforms to its XSD', false, 'valid', describeFailure(received.failure)));
    return out;
  }
  const m = received.message;
  out.push(check(`the message conforms to the ${m.messageType} XSD`, true, 'valid', 'valid'));
  const problems = [...m.problems.group, ...m.problems.transactions.flat()];
  if (problems.length === 0) {
    out.push(check('its business rules hold (NbOfTxs, CtrlSum, amounts, ids)', true, 'no problem', null));
  }
  for (const p of problems) {
    out.push(check(`business rule ${p.code} (${p.reason})`, false, 'no problem', p.message));
  }
  return out;
}
