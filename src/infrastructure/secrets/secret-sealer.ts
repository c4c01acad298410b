import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type KeyEncryptionKeys, SecretsKeyError } from './key-encryption-keys';

/**
 * Seals stored secrets (token signing keys, partners' webhook secrets, billers' reversal-signing
 * secrets) with AES-256-GCM directly under a key-encryption key, the KEK's id written beside the
 * ciphertext:
 *
 *   sealed:v1:<kid>:<base64url(12-byte nonce | ciphertext | 16-byte tag)>
 *
 * Directly under the KEK rather than under a per-secret data key wrapped by it: the KEK is in this
 * process either way (environment or file, not an HSM that only unwraps), so a data-key layer would
 * add a second key and a second GCM operation per secret without keeping anything from whoever holds
 * the KEK; and the secrets are tens of bytes, so re-sealing one costs what re-wrapping its data key
 * would. The version tag leaves room for a `v2` with a wrapped data key if the KEK moves into a KMS.
 * Random 96-bit nonces stay far inside GCM's 2^32 messages-per-key budget at a few thousand rows.
 *
 * The additional authenticated data binds a sealed value to its place (`context`: table, column, row
 * id) and its kid, so a ciphertext copied into another partner's row, or relabelled with another kid,
 * does not open.
 */

const PREFIX = 'sealed:v1:';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed value that does not open: wrong KEK, unknown kid, altered or moved. Never carries the secret. */
export class SealedSecretError extends SecretsKeyError {
  constructor(
    message: string,
    readonly kid: string | undefined,
  ) {
    super(message);
    this.name = 'SealedSecretError';
  }
}

export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** The kid a sealed value names, or undefined for anything that is not a sealed value. */
export function sealedKid(value: string): string | undefined {
  if (!isSealed(value)) return undefined;
  const end = value.indexOf(':', PREFIX.length);
  return end < 0 ? undefined : value.slice(PREFIX.length, end);
}

function aad(kid: string, context: string): Buffer {
  return Buffer.from(`billgate-sealed:v1:${kid}:${context}`, 'utf8');
}

export class SecretSealer {
  constructor(private readonly keys: KeyEncryptionKeys) {}

  get activeKid(): string {
    return this.keys.active.kid;
  }

  get kids(): readonly string[] {
    return [...this.keys.byKid.keys()];
  }

  /** Where the keys came from (a setting or a file), for messages. */
  get source(): string {
    return this.keys.source;
  }

  seal(plaintext: string, context: string): string {
    const { kid, key } = this.keys.active;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(aad(kid, context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${PREFIX}${kid}:${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  open(sealed: string, context: string): string {
    const kid = sealedKid(sealed);
    if (kid === undefined) {
      throw new SealedSecretError(
        `${context}: not a sealed value (plaintext is never read as a secret)`,
        undefined,
      );
    }
    const kek = this.keys.byKid.get(kid);
    if (kek === undefined) {
      throw new SealedSecretError(
        `${context} is sealed under key-encryption key '${kid}', which ${this.keys.source} does not hold ` +
          `(it holds ${this.kids.map((k) => `'${k}'`).join(', ')}). Give every node the same KEKs; during a ` +
          `rotation keep the old key listed until \`billgate secrets status\` shows nothing left under it.`,
        kid,
      );
    }
    const blob = Buffer.from(sealed.slice(PREFIX.length + kid.length + 1), 'base64url');
    if (blob.length < NONCE_BYTES + TAG_BYTES) {
      throw new SealedSecretError(`${context}: sealed value under '${kid}' is truncated`, kid);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', kek.key, blob.subarray(0, NONCE_BYTES));
      decipher.setAAD(aad(kid, context));
      decipher.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(blob.subarray(NONCE_BYTES, blob.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new SealedSecretError(
        `${context} does not open under key-encryption key '${kid}' from ${this.keys.source}: ` +
          `that is a different key with the same id (wrong SECRETS_KEK), or the stored value was altered or moved.`,
        kid,
      );
    }
  }

  /** Whether a stored value should be re-sealed: plaintext, or sealed under a key that is not the active one. */
  needsRewrap(stored: string): boolean {
    return sealedKid(stored) !== this.activeKid;
  }
}
