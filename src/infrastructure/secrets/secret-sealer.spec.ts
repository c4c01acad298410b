import { parseKeyEncryptionKeys } from './key-encryption-keys';
import { isSealed, SealedSecretError, sealedKid, SecretSealer } from './secret-sealer';

const key = (byte: number): string => Buffer.alloc(32, byte).toString('base64');
const sealer = (spec: string): SecretSealer => new SecretSealer(parseKeyEncryptionKeys(spec, 'SECRETS_KEK'));
const SECRET = 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0';

describe('SecretSealer', () => {
  it('seals under the active (first) KEK with its kid beside the ciphertext, and opens it again', () => {
    const s = sealer(`k2:${key(2)},k1:${key(1)}`);
    const sealed = s.seal(SECRET, 'webhook_secrets.secret:abc');
    expect(isSealed(sealed)).toBe(true);
    expect(sealedKid(sealed)).toBe('k2');
    expect(sealed).toMatch(/^sealed:v1:k2:[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain(SECRET);
    expect(sealed).not.toContain(Buffer.from(SECRET).toString('base64'));
    expect(s.open(sealed, 'webhook_secrets.secret:abc')).toBe(SECRET);
  });

  it('never seals the same secret to the same text twice (random nonce)', () => {
    const s = sealer(`k1:${key(1)}`);
    expect(s.seal(SECRET, 'c')).not.toBe(s.seal(SECRET, 'c'));
  });

  it('opens what an older, still listed KEK sealed; marks it for rewrap', () => {
    const old = sealer(`k1:${key(1)}`).seal(SECRET, 'c');
    const rotated = sealer(`k2:${key(2)},k1:${key(1)}`);
    expect(rotated.open(old, 'c')).toBe(SECRET);
    expect(rotated.needsRewrap(old)).toBe(true);
    expect(rotated.needsRewrap(rotated.seal(SECRET, 'c'))).toBe(false);
    expect(rotated.needsRewrap(SECRET)).toBe(true);
  });

  it('refuses a value moved to another row or column (bound by its context)', () => {
    const s = sealer(`k1:${key(1)}`);
    const sealed = s.seal(SECRET, 'webhook_secrets.secret:partner-a');
    expect(() => s.open(sealed, 'webhook_secrets.secret:partner-b')).toThrow(SealedSecretError);
  });

  it('says a kid is missing when the KEK that sealed a value is not held, naming the kids held', () => {
    const sealed = sealer(`gone:${key(1)}`).seal(SECRET, 'c');
    expect(() => sealer(`k2:${key(2)}`).open(sealed, 'c')).toThrow(
      /sealed under key-encryption key 'gone', which SECRETS_KEK does not hold \(it holds 'k2'\)/,
    );
  });

  it('says the key is a different one when the kid matches but the key does not', () => {
    const sealed = sealer(`k1:${key(1)}`).seal(SECRET, 'c');
    let message = '';
    try {
      sealer(`k1:${key(9)}`).open(sealed, 'c');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/does not open under key-encryption key 'k1'.*different key with the same id/);
    expect(message).not.toContain(key(9));
  });

  it('refuses an altered ciphertext, a truncated one and plaintext', () => {
    const s = sealer(`k1:${key(1)}`);
    const sealed = s.seal(SECRET, 'c');
    const last = sealed.at(-2) === 'A' ? 'B' : 'A';
    expect(() => s.open(`${sealed.slice(0, -2)}${last}${sealed.at(-1)}`, 'c')).toThrow(SealedSecretError);
    expect(() => s.open('sealed:v1:k1:AAAA', 'c')).toThrow(/truncated/);
    expect(() => s.open(SECRET, 'c')).toThrow(/not a sealed value/);
  });
});
