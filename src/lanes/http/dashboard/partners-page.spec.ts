import type { StoredCredential } from '../../../domain/partners/credentials.repository';
import { credentialWatch, endOf } from './partners-page';

const NOW = new Date('2030-06-01T12:00:00Z');
const H = 3_600_000;
const at = (hours: number) => new Date(NOW.getTime() + hours * H);

function cred(id: string, o: Partial<StoredCredential> = {}): StoredCredential {
  return {
    id,
    partnerId: 'acme',
    kind: 'api-key',
    fingerprint: `fp-${id}`,
    hint: `…${id}`,
    validFrom: at(-1000),
    ...o,
  };
}

describe('what the partners page shows of a partner’s credentials', () => {
  it('a certificate ends at its notAfter when that comes before its registration’s end', () => {
    expect(endOf(cred('c', { kind: 'client-certificate', notAfter: at(5), validUntil: at(50) }))).toEqual(
      at(5),
    );
    expect(endOf(cred('k'))).toBeUndefined();
  });

  it('lists what ends within 7 days and is not being rotated, soonest first', () => {
    const w = credentialWatch(
      [
        cred('later', { validUntil: at(24 * 6) }),
        cred('soon', { kind: 'client-certificate', notAfter: at(2) }),
        cred('far', { validUntil: at(24 * 30) }),
        cred('never'),
        cred('revoked', { validUntil: at(3), revokedAt: at(-1) }),
      ],
      NOW,
    );
    expect(w.endingSoon.map((c) => c.id)).toEqual(['soon', 'later']);
    expect(w.expired).toEqual([]);
  });

  it('shows a rotation in its notice apart, and not as ending soon', () => {
    const w = credentialWatch(
      [cred('old', { validUntil: at(10), noticeEndsAt: at(10) }), cred('new', { supersedes: 'old' })],
      NOW,
    );
    expect(w.endingSoon).toEqual([]);
    expect(w.rotations).toHaveLength(1);
    expect(w.rotations[0]).toMatchObject({ previous: { id: 'old' }, current: { id: 'new' } });
  });

  it('tells an expired credential that was replaced from one that lapsed with nothing in its place', () => {
    const w = credentialWatch(
      [
        cred('rotated', { validUntil: at(-5), noticeEndsAt: at(-5) }),
        cred('successor', { supersedes: 'rotated' }),
        cred('lapsed', { kind: 'client-certificate', notAfter: at(-30) }),
        cred('revoked-and-ended', { validUntil: at(-2), revokedAt: at(-3) }),
      ],
      NOW,
    );
    expect(w.expired.map((e) => [e.credential.id, e.rotatedOut])).toEqual([
      ['rotated', true],
      ['lapsed', false],
    ]);
    expect(w.rotations).toEqual([]);
  });
});
