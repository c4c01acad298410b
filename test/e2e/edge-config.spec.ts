import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { BANK, MFS, payBody } from '../support/payments';
import { send } from './edge-support';
import { randomUUID } from 'node:crypto';

/** Lanes from BILLGATE_CONFIG: several HTTP listeners, each with its TLS mode and allowlist, same routes. */
let gw: TestGateway;
let agent: Agent;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'billgate-lanes-'));
  const file = join(dir, 'billgate.yaml');
  writeFileSync(
    file,
    `
lanes:
  - id: mpls-json
    kind: mpls
    protocol: http
    listener: { host: 127.0.0.1, port: 0 }
    tls: off
    partners:
      - { id: demo-mfs, cidrs: [127.0.0.1/32] }
  - id: ipsec-tls
    kind: ipsec
    protocol: http
    listener: { host: 127.0.0.1, port: 0 }
    tls: server
    partners:
      - { id: demo-bank, cidrs: [127.0.0.1/32] }
`,
  );
  gw = await startTestGateway({ BILLGATE_CONFIG: file, CERTS_DIR: join(dir, 'certs') });
  agent = new Agent({
    connect: { ca: readFileSync(join(dir, 'certs', 'ca.crt'), 'utf8'), servername: 'localhost' },
  });
});
afterAll(async () => {
  await agent.close();
  await gw.stop();
});

const payOn = (url: string, key: string) =>
  send(agent, url, 'POST', '/bill/pay', {
    bearer: key,
    idempotencyKey: randomUUID(),
    body: payBody(key === BANK ? { payer: { account: '1234567890' } } : {}),
  });

describe('lanes from the configuration file', () => {
  it('runs one listener per HTTP lane with its own TLS mode', () => {
    expect(Object.keys(gw.httpLanes).sort()).toEqual(['ipsec-tls', 'mpls-json']);
    expect(gw.httpLanes['mpls-json']).toMatch(/^http:\/\//);
    expect(gw.httpLanes['ipsec-tls']).toMatch(/^https:\/\//);
    expect(gw.httpUrl).toBe(gw.httpLanes['mpls-json']);
  });

  it('each partner pays on its own lane and is refused on the other', async () => {
    const plain = gw.httpLanes['mpls-json'] ?? '';
    const tls = gw.httpLanes['ipsec-tls'] ?? '';
    expect((await payOn(plain, MFS)).status).toBe(201);
    expect((await payOn(tls, BANK)).status).toBe(201);
    const mismatch = await payOn(tls, MFS);
    expect(mismatch.status).toBe(403);
    expect(mismatch.body).toMatchObject({ type: expect.stringMatching(/lane-not-assigned$/) });
    expect((await payOn(plain, BANK)).status).toBe(403);
  });
});
