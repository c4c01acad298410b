import { resolve } from 'node:path';
import { DEMO_MTLS_PARTNERS } from '../../lane-config';
import { createDevelopmentPki } from './dev-pki';

/**
 * `billgate certs init [--dir DIR] [--partners a,b]`: the development PKI (CA, server certificate,
 * a client certificate per partner) under CERTS_DIR (default certs/dev). Idempotent: existing files
 * are kept. Registration of the partners' fingerprints happens at the embedded gateway's start.
 */
export const certsCommand = {
  name: 'certs',
  usage: 'certs init [--dir DIR] [--partners id,id]   create the development PKI (default certs/dev)',
  run(args: string[]): Promise<{ code: number; output: string }> {
    const [sub, ...rest] = args;
    if (sub !== 'init')
      return Promise.resolve({
        code: 64,
        output: 'usage: billgate certs init [--dir DIR] [--partners id,id]',
      });
    const option = (name: string): string | undefined => {
      const i = rest.indexOf(name);
      return i >= 0 ? rest[i + 1] : undefined;
    };
    const dir = resolve(option('--dir') ?? process.env.CERTS_DIR ?? 'certs/dev');
    const partners = (option('--partners') ?? DEMO_MTLS_PARTNERS.join(','))
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p.length > 0);
    try {
      const pki = createDevelopmentPki(dir, partners);
      const lines = [
        `development PKI in ${dir} (${pki.created.length === 0 ? 'already complete' : `${pki.created.length} files created`})`,
        `  CA            ${pki.caCertPath}`,
        `  server        ${pki.serverCertPath}`,
        ...pki.partners.map((p) => `  ${p.partnerId.padEnd(13)} ${p.certPath}  x5t#S256=${p.fingerprint}`),
      ];
      return Promise.resolve({ code: 0, output: lines.join('\n') });
    } catch (e: unknown) {
      return Promise.resolve({
        code: 1,
        output: `certs init failed: ${e instanceof Error ? e.message : String(e)}`,
      });
    }
  },
};
