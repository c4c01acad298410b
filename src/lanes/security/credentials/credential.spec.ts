import { ManualClock } from '../clock';
import {
  type Credential,
  CredentialRotationError,
  acceptableCredentials,
  credentialStatus,
  expiringSoon,
  isAcceptable,
  pendingRotations,
  revoke,
  rotate,
} from './credential';

const T0 = new Date('2030-01-01T00:00:00Z');

function cred(id: string, overrides: Partial<Credential> = {}): Credential {
  return {
    id,
    partnerId: 'acme',
    kind: 'client-certificate',
    fingerprint: `fp-${id}`,
    validFrom: new Date('2029-01-01T00:00:00Z'),
    validUntil: new Date('2031-01-01T00:00:00Z'),
    ...overrides,
  };
}

describe('credential rotation', () => {
  it('accepts old and new inside the 24 h notice window and stops the old one at its end', () => {
    const clock = new ManualClock(T0);
    const { previous, current } = rotate(cred('old'), cred('new'), { now: clock.now() });

    expect(current.validFrom).toEqual(T0);
    expect(current.supersedes).toBe('old');
    expect(previous.noticeEndsAt).toEqual(new Date('2030-01-02T00:00:00Z'));
    expect(previous.validUntil).toEqual(new Date('2030-01-02T00:00:00Z'));

    expect(isAcceptable(previous, clock.now())).toBe(true);
    expect(isAcceptable(current, clock.now())).toBe(true);

    clock.advanceHours(23);
    clock.advanceSeconds(3599);
    expect(isAcceptable(previous, clock.now())).toBe(true);
    expect(isAcceptable(current, clock.now())).toBe(true);

    clock.advanceSeconds(1);
    expect(isAcceptable(previous, clock.now())).toBe(false);
    expect(credentialStatus(previous, clock.now())).toBe('EXPIRED');
    expect(isAcceptable(current, clock.now())).toBe(true);
  });

  it('honours a custom notice and an immediate cut-over', () => {
    const twoHours = rotate(cred('a'), cred('b'), { now: T0, noticeHours: 2 });
    expect(twoHours.previous.validUntil).toEqual(new Date('2030-01-01T02:00:00Z'));
    const immediate = rotate(cred('a'), cred('b'), { now: T0, noticeHours: 0 });
    expect(isAcceptable(immediate.previous, T0)).toBe(false);
    expect(isAcceptable(immediate.current, T0)).toBe(true);
  });

  it('never extends the old credential past its own end', () => {
    const soon = new Date('2030-01-01T03:00:00Z');
    const { previous } = rotate(cred('old', { validUntil: soon }), cred('new'), { now: T0 });
    expect(previous.validUntil).toEqual(soon);
  });

  it('the new credential is not acceptable before the rotation instant', () => {
    const { current } = rotate(cred('old'), cred('new', { validFrom: new Date(0) }), { now: T0 });
    expect(credentialStatus(current, new Date(T0.getTime() - 1))).toBe('NOT_YET_VALID');
  });

  it.each([
    ['another partner', cred('new', { partnerId: 'other' })],
    ['another kind', cred('new', { kind: 'api-key' })],
    ['itself', cred('old')],
    ['the same fingerprint', cred('new', { fingerprint: 'fp-old' })],
  ])('refuses to rotate to %s', (_label, next) => {
    expect(() => rotate(cred('old'), next, { now: T0 })).toThrow(CredentialRotationError);
  });

  it('refuses silly notice periods and revoked credentials', () => {
    expect(() => rotate(cred('a'), cred('b'), { now: T0, noticeHours: -1 })).toThrow(CredentialRotationError);
    expect(() => rotate(cred('a'), cred('b'), { now: T0, noticeHours: Number.NaN })).toThrow(
      CredentialRotationError,
    );
    expect(() => rotate(revoke(cred('a'), T0), cred('b'), { now: T0 })).toThrow('revoked');
  });
});

describe('revoke', () => {
  it('is immediate, even inside a rotation window', () => {
    const clock = new ManualClock(T0);
    const { previous, current } = rotate(cred('old'), cred('new'), { now: clock.now() });
    clock.advanceHours(1);
    const revoked = revoke(previous, clock.now(), 'key compromised');
    expect(isAcceptable(revoked, clock.now())).toBe(false);
    expect(credentialStatus(revoked, clock.now())).toBe('REVOKED');
    expect(revoked.revocationReason).toBe('key compromised');
    expect(isAcceptable(current, clock.now())).toBe(true);
  });

  it('keeps the first revocation instant', () => {
    const first = revoke(cred('a'), T0);
    expect(revoke(first, new Date('2030-02-01T00:00:00Z')).revokedAt).toEqual(T0);
  });

  it('does not change the input', () => {
    const original = cred('a');
    revoke(original, T0);
    expect(original.revokedAt).toBeUndefined();
  });
});

describe('pendingRotations and expiringSoon', () => {
  it('lists open rotations with their successor until the window closes', () => {
    const { previous, current } = rotate(cred('old'), cred('new'), { now: T0 });
    const creds = [previous, current, cred('unrelated', { partnerId: 'other' })];
    const open = pendingRotations(creds, new Date('2030-01-01T06:00:00Z'));
    expect(open).toHaveLength(1);
    expect(open[0]?.previous.id).toBe('old');
    expect(open[0]?.current?.id).toBe('new');
    expect(open[0]?.remainingMs).toBe(18 * 3_600_000);
    expect(pendingRotations(creds, new Date('2030-01-02T00:00:00Z'))).toEqual([]);
    expect(pendingRotations([revoke(previous, T0), current], T0)).toEqual([]);
  });

  it('lists credentials lapsing within the horizon that nobody has replaced', () => {
    const now = new Date('2030-12-25T00:00:00Z');
    const lapsing = cred('lapsing'); // ends 2031-01-01
    const later = cred('later', { validUntil: new Date('2031-06-01T00:00:00Z') });
    const forever = cred('forever', { validUntil: undefined });
    const replacedOld = cred('replaced-old');
    const replacedNew = cred('replaced-new', { supersedes: 'replaced-old', validUntil: undefined });
    const result = expiringSoon([lapsing, later, forever, replacedOld, replacedNew], now, 24 * 10);
    expect(result.map((c) => c.id)).toEqual(['lapsing']);
    expect(expiringSoon([lapsing], now, 24)).toEqual([]);
  });

  it('acceptableCredentials returns both sides of an open rotation', () => {
    const { previous, current } = rotate(cred('old'), cred('new'), { now: T0 });
    const creds = [previous, current, cred('x', { kind: 'api-key' })];
    const ids = (at: Date) =>
      acceptableCredentials(creds, at, { partnerId: 'acme', kind: 'client-certificate' }).map((c) => c.id);
    expect(ids(T0)).toEqual(['old', 'new']);
    expect(ids(new Date('2030-01-02T00:00:00Z'))).toEqual(['new']);
  });
});
