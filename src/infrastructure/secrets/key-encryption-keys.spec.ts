import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEV_KEK_FILE,
  loadKeyEncryptionKeys,
  newKeyEncryptionKeyLine,
  parseKeyEncryptionKeys,
  SecretsKeyError,
} from './key-encryption-keys';

const key = (byte: number): string => Buffer.alloc(32, byte).toString('base64');

describe('parseKeyEncryptionKeys', () => {
  it('reads kid:base64 entries, the first active, separated by commas or lines with comments', () => {
    const keys = parseKeyEncryptionKeys(`# rotated 2026-12\nk2:${key(2)}\n\nk1:${key(1)}  # old\n`, 'f');
    expect(keys.active.kid).toBe('k2');
    expect([...keys.byKid.keys()]).toEqual(['k2', 'k1']);
    expect(
      parseKeyEncryptionKeys(`a:${key(3)},b:${Buffer.alloc(32, 4).toString('base64url')}`, 'x').byKid.size,
    ).toBe(2);
  });

  it.each([
    ['', /holds no key/],
    [`${key(1)}`, /entry 1 is not <kid>:<base64 key>/],
    ['k1:not-base64!', /key k1 is not base64/],
    [`k1:${Buffer.alloc(16).toString('base64')}`, /key k1 is 16 bytes; a KEK is 32 random bytes/],
    [`k1:${key(1)},k1:${key(2)}`, /kid k1 is listed twice/],
  ])('refuses %j, naming the setting and never the key', (text, message) => {
    let error: unknown;
    try {
      parseKeyEncryptionKeys(text, 'SECRETS_KEK');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SecretsKeyError);
    expect((error as Error).message).toMatch(/^SECRETS_KEK: /);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(key(1));
  });

  it('new-kek lines parse back to a 32-byte key under the kid asked for', () => {
    const keys = parseKeyEncryptionKeys(newKeyEncryptionKeyLine('kek-2027'), 'x');
    expect(keys.active.kid).toBe('kek-2027');
    expect(keys.active.key).toHaveLength(32);
  });
});

describe('loadKeyEncryptionKeys', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'billgate-kek-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('outside production with nothing set, generates a development KEK into DATA_DIR (0600) once and reuses it', () => {
    const created: string[] = [];
    const settings = { production: false, dataDir: dir, kek: undefined, kekFile: undefined };
    const first = loadKeyEncryptionKeys(settings, {
      createDevelopmentKey: true,
      onCreated: (p) => created.push(p),
    });
    const second = loadKeyEncryptionKeys(settings, {
      createDevelopmentKey: true,
      onCreated: (p) => created.push(p),
    });
    expect(created).toEqual([join(dir, DEV_KEK_FILE)]);
    expect(first.active.kid).toMatch(/^dev-[0-9a-f]{8}$/);
    expect(second.active.key.equals(first.active.key)).toBe(true);
    expect(statSync(join(dir, DEV_KEK_FILE)).mode & 0o777).toBe(0o600);
  });

  it('a CLI command does not create one: it says what to set', () => {
    expect(() =>
      loadKeyEncryptionKeys(
        { production: false, dataDir: dir, kek: undefined, kekFile: undefined },
        { createDevelopmentKey: false },
      ),
    ).toThrow(/set SECRETS_KEK or SECRETS_KEK_FILE/);
  });

  it('production with no KEK is refused, never given a development key', () => {
    expect(() =>
      loadKeyEncryptionKeys(
        { production: true, dataDir: dir, kek: undefined, kekFile: undefined },
        { createDevelopmentKey: true },
      ),
    ).toThrow(/SECRETS_KEK: required when NODE_ENV=production/);
    expect(() => readFileSync(join(dir, DEV_KEK_FILE))).toThrow();
  });

  it('reads SECRETS_KEK_FILE, and says so when it cannot', () => {
    const file = join(dir, 'kek');
    writeFileSync(file, `k9:${key(9)}\n`);
    const keys = loadKeyEncryptionKeys(
      { production: true, dataDir: dir, kek: undefined, kekFile: file },
      { createDevelopmentKey: false },
    );
    expect(keys.active.kid).toBe('k9');
    expect(keys.source).toBe(`SECRETS_KEK_FILE ${file}`);
    expect(() =>
      loadKeyEncryptionKeys(
        { production: true, dataDir: dir, kek: undefined, kekFile: join(dir, 'missing') },
        { createDevelopmentKey: false },
      ),
    ).toThrow(/SECRETS_KEK_FILE .*missing: cannot be read \(ENOENT\)/);
  });
});
