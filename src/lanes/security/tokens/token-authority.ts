import type { SigningKeysRepository } from '../../../domain/partners/signing-keys.repository';
import type { Logger } from '../../../infrastructure/logging/logger';
import type { Clock } from '../clock';
import { AccessTokenService, type AccessTokenVerification, type IssuedAccessToken } from './access-token';
import { SigningKeyRing, type JsonWebKeySet, type SigningKeyInfo } from './signing-key-ring';

export const TOKEN_ISSUER = 'urn:billgate:oauth';
export const TOKEN_AUDIENCE = 'urn:billgate:public-mtls';

export interface TokenAuthorityOptions {
  readonly repository: SigningKeysRepository;
  readonly clock: Clock;
  readonly log?: Logger;
  readonly ttlSeconds?: number;
  /** How often other nodes' rotations are picked up (a verification with an unknown kid reloads at once). */
  readonly reloadIntervalMs?: number;
}

/**
 * The OAuth token endpoint's keys: one SigningKeyRing shared by every node through the database.
 * Rotation and revocation are read-modify-write under a row lock; each node reloads the snapshot
 * periodically, and at once (at most every second) when a token names a kid it does not know.
 */
export class TokenAuthority {
  private ring!: SigningKeyRing;
  private service!: AccessTokenService;
  private version = 0;
  private lastReload = 0;
  private timer: NodeJS.Timeout | undefined;

  private constructor(private readonly opts: TokenAuthorityOptions) {}

  static async open(opts: TokenAuthorityOptions): Promise<TokenAuthority> {
    const authority = new TokenAuthority(opts);
    const stored =
      (await opts.repository.load()) ??
      (await opts.repository.initialise(
        SigningKeyRing.create(opts.clock.now()).toSnapshot(),
        opts.clock.now(),
      ));
    authority.use(stored.snapshot, stored.version);
    return authority;
  }

  private use(snapshot: unknown, version: number): void {
    this.ring = SigningKeyRing.fromSnapshot(snapshot);
    this.version = version;
    this.service = new AccessTokenService({
      ring: this.ring,
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      defaultTtlSeconds: Math.min(this.opts.ttlSeconds ?? 300, this.ring.overlapSeconds),
    });
  }

  async reload(): Promise<void> {
    this.lastReload = Date.now();
    const stored = await this.opts.repository.load();
    if (stored !== undefined && stored.version !== this.version) this.use(stored.snapshot, stored.version);
  }

  start(): void {
    this.timer = setInterval(() => {
      this.reload().catch((error: unknown) =>
        this.opts.log?.warn({ err: error }, 'signing key reload failed'),
      );
    }, this.opts.reloadIntervalMs ?? 30_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  issue(partnerId: string, certificateThumbprint: string, scope?: string): Promise<IssuedAccessToken> {
    return this.service.issueAccessToken({
      partnerId,
      certificateThumbprint,
      now: this.opts.clock.now(),
      ...(scope !== undefined ? { scope } : {}),
    });
  }

  async verify(
    token: string | undefined,
    presentedCertThumbprint: string | undefined,
  ): Promise<AccessTokenVerification> {
    const now = this.opts.clock.now();
    const first = await this.service.verifyAccessToken(token, { presentedCertThumbprint, now });
    if (first.ok || first.reason !== 'UNKNOWN_KEY' || Date.now() - this.lastReload < 1000) return first;
    await this.reload();
    return this.service.verifyAccessToken(token, { presentedCertThumbprint, now });
  }

  jwks(): JsonWebKeySet {
    return this.ring.jwks(this.opts.clock.now());
  }

  keys(): SigningKeyInfo[] {
    return this.ring.list(this.opts.clock.now());
  }

  get overlapSeconds(): number {
    return this.ring.overlapSeconds;
  }

  /** Activates a new key; the previous one keeps verifying for the overlap (24 h unless given). */
  async rotate(overlapSeconds?: number): Promise<{ active: string; retiring?: string }> {
    const now = this.opts.clock.now();
    const { result, snapshot, version } = await this.opts.repository.update(now, (stored) => {
      const ring = SigningKeyRing.fromSnapshot(stored);
      ring.prune(now);
      const r = ring.rotate(now, overlapSeconds !== undefined ? { overlapSeconds } : {});
      return { snapshot: ring.toSnapshot(), result: r };
    });
    this.use(snapshot, version);
    return result;
  }

  /** Compromise: the key stops verifying at once; a new one is activated if it was signing. */
  async revoke(kid: string): Promise<{ active: string | undefined }> {
    const now = this.opts.clock.now();
    const { result, snapshot, version } = await this.opts.repository.update(now, (stored) => {
      const ring = SigningKeyRing.fromSnapshot(stored);
      const r = ring.revoke(kid, now);
      return { snapshot: ring.toSnapshot(), result: r };
    });
    this.use(snapshot, version);
    return result;
  }
}
