import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ascii87 from '../protocols/iso8583/dialects/ascii87.json';
import { LaneConfigError, parseLaneConfig } from './config-file';

const VALID = `
lanes:
  - id: mpls-json
    kind: mpls
    protocol: http
    listener: { host: 127.0.0.1, port: "\${HTTP_PORT:-8080}" }
    tls: off
    opsCidrs: [10.0.0.0/8]
    partners:
      - id: demo-bank
        cidrs: [192.0.2.0/24, "2001:db8::/32"]
  - id: public-mtls
    kind: public-mtls
    protocol: http
    listener: { host: 0.0.0.0, port: 8443 }
    tls: mutual
    partners:
      - id: acme-pay
        cidrs: [203.0.113.7/32]
  - id: switch
    kind: ipsec
    protocol: iso8583
    listener: { host: 0.0.0.0, port: 8583 }
    tls: off
    partners:
      - id: demo-mfs
        cidrs: [198.51.100.0/24]
        acquirers: ["470001"]
billers: []
`;

function problemsOf(text: string, env: Record<string, string> = {}): readonly string[] {
  try {
    parseLaneConfig(text, env);
  } catch (e: unknown) {
    if (e instanceof LaneConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('lane configuration file', () => {
  it('reads lanes with their listeners, TLS modes and partners, substituting the environment', () => {
    const lanes = parseLaneConfig(VALID, { HTTP_PORT: '9090' });
    expect(lanes.map((l) => [l.id, l.kind, l.protocol, l.tls, l.listener.port])).toEqual([
      ['mpls-json', 'mpls', 'http', 'off', 9090],
      ['public-mtls', 'public-mtls', 'http', 'mutual', 8443],
      ['switch', 'ipsec', 'iso8583', 'off', 8583],
    ]);
    expect(lanes[0]?.partners).toEqual([
      { partnerId: 'demo-bank', cidrs: ['192.0.2.0/24', '2001:db8::/32'] },
    ]);
    expect(lanes[0]?.opsCidrs).toEqual(['10.0.0.0/8']);
    expect(lanes[2]?.iso8583).toMatchObject({ dialect: 'ascii87', lengthHeader: 'binary2' });
    expect(parseLaneConfig(VALID, {})[0]?.listener.port).toBe(8080);
  });

  it('lists every problem at once', () => {
    const bad = `
lanes:
  - id: a
    kind: public-mtls
    protocol: http
    listener: { host: 0.0.0.0, port: 8443 }
    tls: server
    partners: [{ id: p1, cidrs: [10.0.0.300/8] }]
  - id: a
    kind: ipsec
    protocol: iso8583
    listener: { host: 0.0.0.0, port: 8443 }
    tls: mutual
    partners: [{ id: p1, cidrs: [10.0.0.0/8] }, { id: p1, cidrs: [10.0.0.0/8] }]
`;
    const problems = problemsOf(bad);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/lanes\.0\.partners\.0\.cidrs\.0: bad CIDR/),
        expect.stringMatching(/duplicate lane id a/),
        expect.stringMatching(/listener 0\.0\.0\.0:8443 is used twice/),
        expect.stringMatching(/public-mtls lane is HTTP with tls: mutual/),
        expect.stringMatching(/partner p1 is listed twice/),
      ]),
    );
  });

  it('refuses an unset placeholder, unknown keys and YAML that does not parse', () => {
    expect(problemsOf(VALID.replace('${HTTP_PORT:-8080}', '${NOPE}'))).toEqual(['${NOPE} is not set']);
    expect(problemsOf(VALID.replace('tls: off', 'tls: off\n    tlz: typo'))[0]).toMatch(/tlz/);
    expect(problemsOf('lanes: [')[0]).toMatch(/not valid YAML/);
    expect(problemsOf('lanes: []')[0]).toMatch(/lanes/);
  });

  describe("a partner's dialect file", () => {
    const lane = (dialect: string) => `
lanes:
  - id: switch
    kind: ipsec
    protocol: iso8583
    listener: { host: 127.0.0.1, port: 0 }
    tls: off
    iso8583: { dialect: ${dialect} }
    partners: [{ id: demo-mfs, cidrs: [127.0.0.1/32] }]
`;

    it('is found beside the configuration and loaded at start-up', () => {
      const dir = mkdtempSync(join(tmpdir(), 'billgate-dialect-'));
      writeFileSync(join(dir, 'switch.json'), JSON.stringify({ ...ascii87, name: 'switch' }));
      const [parsed] = parseLaneConfig(lane('switch.json'), {}, dir);
      expect(parsed?.iso8583?.dialect).toBe(join(dir, 'switch.json'));
    });

    it('that is missing or invalid stops the configuration, naming the lane and the file', () => {
      const dir = mkdtempSync(join(tmpdir(), 'billgate-dialect-'));
      writeFileSync(join(dir, 'broken.yaml'), 'name: broken\nfields: {}\n');
      const problemsIn = (text: string): readonly string[] => {
        try {
          parseLaneConfig(text, {}, dir);
        } catch (e: unknown) {
          if (e instanceof LaneConfigError) return e.problems;
          throw e;
        }
        return [];
      };
      expect(problemsIn(lane('missing.yaml'))).toEqual([
        expect.stringMatching(/^lanes\.0\.iso8583\.dialect: cannot read dialect file .*missing\.yaml/),
      ]);
      expect(problemsIn(lane('broken.yaml'))).toEqual([
        expect.stringMatching(/^lanes\.0\.iso8583\.dialect: invalid dialect file .*broken\.yaml/),
      ]);
      expect(problemsIn(lane('nonesuch'))).toEqual([
        expect.stringMatching(/unknown ISO 8583 dialect 'nonesuch'/),
      ]);
    });

    it('is the one source of its framing: the lane takes it, and a lane contradicting it stops start-up', () => {
      const dir = mkdtempSync(join(tmpdir(), 'billgate-dialect-'));
      const framing = { lengthHeader: 'ascii4', tpdu: true };
      writeFileSync(
        join(dir, 'pos.json'),
        JSON.stringify({ ...ascii87, name: 'pos', conventions: { ...ascii87.conventions, framing } }),
      );
      expect(parseLaneConfig(lane('pos.json'), {}, dir)[0]?.iso8583).toMatchObject(framing);
      const saying = (own: string) =>
        lane('pos.json').replace('{ dialect: pos.json }', `{ dialect: pos.json, ${own} }`);
      expect(parseLaneConfig(saying('tpdu: true, lengthHeader: ascii4'), {}, dir)[0]?.iso8583).toMatchObject(
        framing,
      );
      expect(() => parseLaneConfig(saying('tpdu: false'), {}, dir)).toThrow(
        /lanes\.0\.iso8583\.tpdu: false, but dialect file .*pos\.json has conventions\.framing\.tpdu: true/,
      );
      // A built-in dialect's framing is a default a lane may change.
      expect(
        parseLaneConfig(
          lane('ascii87').replace('{ dialect: ascii87 }', '{ dialect: ascii87, tpdu: true }'),
        )[0]?.iso8583,
      ).toMatchObject({ tpdu: true, lengthHeader: 'binary2' });
    });
  });
});
