import { Iso8583Error } from '../errors';
import { type FieldValue } from '../codec/field';
import { type FieldSpan, type IsoMessage, type MessageSpec, unpackInto } from '../codec/message';

/**
 * Log rendering that never lets card data through: PANs keep at most the first 6 and last 4 digits
 * (PCI DSS 3.4), track data keeps only its masked PAN, PIN blocks and other secrets nothing.
 */
export function maskPan(pan: string): string {
  // Below 13 digits it is no real PAN, and 6+4 would reveal nearly all of it: mask everything.
  if (pan.length < 13) return '*'.repeat(pan.length);
  return pan.slice(0, 6) + '*'.repeat(pan.length - 10) + pan.slice(-4);
}

/** Track 1/2 data: the PAN before the separator masked as a PAN, everything after it (expiry, service code, discretionary data) hidden. */
export function maskTrack(track: string): string {
  const sep = track.search(/[=D^]/);
  if (sep < 0) return '*'.repeat(track.length);
  const start = track.startsWith('%B') || track.startsWith(';') ? (track[0] === '%' ? 2 : 1) : 0;
  return (
    track.slice(0, start) + maskPan(track.slice(start, sep)) + track[sep] + '*'.repeat(track.length - sep - 1)
  );
}

/** A field value rendered for a log line or the CLI, masked according to the field's `sensitive` tag. */
export function renderFieldValue(
  spec: MessageSpec,
  field: number,
  value: FieldValue,
  reveal = false,
): string {
  if (value instanceof Map) {
    return [...value].map(([tag, v]) => `${tag}=${JSON.stringify(v)}`).join(' ');
  }
  const text = Buffer.isBuffer(value) ? value.toString('hex').toUpperCase() : (value as string);
  if (reveal) return text;
  switch (spec.field(field)?.sensitive) {
    case 'pan':
      return maskPan(text);
    case 'track':
      return maskTrack(text);
    case 'secret':
      return '*'.repeat(text.length);
    default:
      return text;
  }
}

/**
 * One line per field, masked, for logs. Accepts raw bytes (e.g. a frame that failed to unpack: then the
 * error and a masked hex dump are given instead of fields) or an already unpacked message.
 */
export function describeForLog(spec: MessageSpec, input: Uint8Array | IsoMessage): string {
  let message: IsoMessage;
  if (input instanceof Uint8Array) {
    try {
      message = unpackInto(spec, input, undefined);
    } catch (err: unknown) {
      const why = err instanceof Iso8583Error ? err.message : 'unpack failed';
      return `[${spec.name}] undecodable ${input.length}-byte message: ${why}\n${maskedHexDump(spec, input)}`;
    }
  } else {
    message = input;
  }
  const lines = [`[${spec.name}] MTI ${message.mti}`];
  for (const [n, v] of [...message.fields].sort((a, b) => a[0] - b[0])) {
    lines.push(`  ${String(n).padStart(3)} ${spec.fieldName(n) ?? '?'}: ${renderFieldValue(spec, n, v)}`);
  }
  return lines.join('\n');
}

const MASK = -1;

/**
 * Hex dump (16 bytes a line, offset first) with sensitive fields' data shown as `**`.
 *
 * When the message does not unpack, its structure cannot be trusted: a corrupt bitmap or prefix can move
 * PAN digits into a field that decodes "fine" as an amount. So then every byte that could be a digit of
 * a PAN or track in the encodings this spec uses for sensitive fields is masked wherever it sits.
 */
export function maskedHexDump(spec: MessageSpec, bytes: Uint8Array): string {
  const spans: FieldSpan[] = [];
  let decoded = true;
  try {
    unpackInto(spec, bytes, spans);
  } catch {
    decoded = false;
  }
  const shown = Array.from(bytes, (b) => b);
  for (const s of spans) {
    if (spec.field(s.field)?.sensitive !== undefined) shown.fill(MASK, s.dataStart, s.end);
  }
  if (!decoded) {
    const couldBeCardData = digitTest(spec);
    for (let i = 0; i < shown.length; i++) if (couldBeCardData(bytes[i]!)) shown[i] = MASK;
  }

  const lines: string[] = [];
  for (let off = 0; off < shown.length; off += 16) {
    const row = shown.slice(off, off + 16).map((b) => (b === MASK ? '**' : b.toString(16).padStart(2, '0')));
    lines.push(`${off.toString(16).padStart(4, '0')}  ${row.join(' ')}`);
  }
  return lines.join('\n');
}

const nibbleIsTrack = (n: number): boolean => n <= 9 || n === 0xd;

/** True for a byte that can carry PAN/track digits in any encoding the spec's sensitive fields use. */
function digitTest(spec: MessageSpec): (b: number) => boolean {
  const encodings = new Set(
    spec
      .fieldNumbers()
      .map((n) => spec.field(n)!)
      .filter((f) => f.sensitive === 'pan' || f.sensitive === 'track')
      .map((f) => f.encoding),
  );
  const ascii = encodings.has('ascii');
  const ebcdic = encodings.has('ebcdic');
  const bcd = encodings.has('bcd');
  return (b) =>
    (ascii && ((b >= 0x30 && b <= 0x39) || b === 0x3d)) ||
    (ebcdic && ((b >= 0xf0 && b <= 0xf9) || b === 0x7e)) ||
    (bcd && nibbleIsTrack(b >> 4) && nibbleIsTrack(b & 15));
}
