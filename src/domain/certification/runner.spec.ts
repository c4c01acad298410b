import { parseSuite, SuiteError } from './suite';
import { runSuite, type CertificationTarget, type RenderedHttp } from './runner';
import type { Observation } from './template';

/** A partner-facing HTTP service scripted in the test: it stands for whatever the suite certifies. */
function target(answer: (r: RenderedHttp) => { status: number; json: Record<string, unknown> }): {
  target: CertificationTarget;
  sent: RenderedHttp[];
} {
  const sent: RenderedHttp[] = [];
  return {
    sent,
    target: {
      description: 'scripted',
      capabilities: new Set(),
      http: (r) => {
        sent.push(r);
        const a = answer(r);
        const view: Observation = {
          select: (kind, expr) =>
            kind === 'status'
              ? String(a.status)
              : kind === 'json'
                ? (a.json[expr] as string | undefined)
                : undefined,
          secret: (kind, expr) => kind === 'json' && expr === 'key',
        };
        return Promise.resolve({
          sent: { protocol: 'http', summary: `${r.method} ${r.path}` },
          sentView: { select: () => undefined },
          received: { protocol: 'http', summary: String(a.status) },
          receivedView: view,
          connection: 'open',
          elapsedMs: 3,
        });
      },
    },
  };
}

const SUITE = `
schema: billgate.certification/v1
id: demo
version: 1.0.0
title: Demo
protocol: rest
inputs: { amount: "10.00", payerKind: wallet }
templates:
  pay: { http: { method: POST, path: /bill/pay, headers: { idempotency-key: "{{case.key}}" }, json: { amount: "{{inputs.amount}}" } } }
cases:
  - id: approve
    title: approved
    let: { key: "k-{{fn.nonce}}" }
    steps:
      - id: first
        http: { template: pay }
        expect: [{ status: true, equals: 201 }, { json: status, equals: APPROVED }]
      - id: again
        http: { template: pay }
        expect: [{ json: id, sameAs: first }]
  - id: needs-webhooks
    title: guarded
    requires: [webhooks]
    steps:
      - { id: hook, webhook: { event: payment.reversed } }
  - id: account-only
    title: a decline only an account payer can provoke
    appliesTo: { payerKind: [account] }
    let: { key: "k-{{fn.nonce}}" }
    steps:
      - id: pay
        http: { template: pay }
  - id: secret
    title: a credential is never shown
    steps:
      - id: rotate
        http: { method: POST, path: /partner/credentials/api-keys }
        expect: [{ json: key, equals: "nope" }]
`;

describe('suites as data', () => {
  it('lists every problem of an invalid suite with its path', () => {
    const bad = SUITE.replace('version: 1.0.0', 'version: one').replace(
      '{ status: true, equals: 201 }',
      '{ status: true }',
    );
    expect(() => parseSuite(bad, 'bad.yaml')).toThrow(SuiteError);
    try {
      parseSuite(bad, 'bad.yaml');
    } catch (e) {
      const problems = (e as SuiteError).problems.join('\n');
      expect(problems).toMatch(/^version: semver/m);
      expect(problems).toMatch(/cases\.0\.steps\.0\.expect\.0: an assertion has exactly one of/);
    }
  });

  it('refuses a sameAs naming a later step and a template that does not exist', () => {
    const bad = SUITE.replace('sameAs: first', 'sameAs: later').replace(
      'template: pay }\n        expect: [{ json',
      'template: nope }\n        expect: [{ json',
    );
    expect(() => parseSuite(bad, 'bad.yaml')).toThrow(/no template nope[\s\S]*later is not an earlier step/);
  });
});

describe('the runner', () => {
  it('passes a case whose assertions hold; reuses the case values across steps', async () => {
    const { target: t, sent } = target(() => ({ status: 201, json: { status: 'APPROVED', id: 'p-1' } }));
    const report = await runSuite(parseSuite(SUITE, 's.yaml'), t, { cases: ['approve'] });
    expect(report.cases[0]?.status).toBe('passed');
    expect(report.result).toBe('passed');
    expect(sent[0]?.headers['idempotency-key']).toMatch(/^k-[0-9a-f]{16}$/);
    expect(sent[1]?.headers['idempotency-key']).toBe(sent[0]?.headers['idempotency-key']);
    expect(sent[0]?.body).toBe('{"amount":"10.00"}');
  });

  it('names the failed assertion with expected and actual, and does not run the later steps', async () => {
    const { target: t } = target(() => ({ status: 201, json: { status: 'DECLINED' } }));
    const report = await runSuite(parseSuite(SUITE, 's.yaml'), t, { cases: ['approve'] });
    const c = report.cases[0]!;
    expect(c.status).toBe('failed');
    expect(c.reason).toBe(
      'first: JSON status equals "APPROVED" — expected equals "APPROVED", got "DECLINED"',
    );
    expect(c.steps.map((s) => s.status)).toEqual(['failed', 'not-run']);
    expect(report.result).toBe('failed');
  });

  it('reports a case needing a capability the target lacks as skipped with the reason, never passed', async () => {
    const { target: t } = target(() => ({ status: 201, json: {} }));
    const report = await runSuite(parseSuite(SUITE, 's.yaml'), t, { cases: ['needs-webhooks'] });
    expect(report.cases[0]).toMatchObject({
      status: 'skipped',
      reason: 'requires webhooks, which scripted does not offer',
    });
    expect(report.totals).toEqual({ cases: 1, passed: 0, failed: 0, skipped: 1 });
    expect(report.result).toBe('failed');
  });

  it("skips a case whose appliesTo the run's inputs do not meet, and runs it when they do", async () => {
    const { target: t, sent } = target(() => ({ status: 201, json: {} }));
    const suite = parseSuite(SUITE, 's.yaml');
    const wallet = await runSuite(suite, t, { cases: ['account-only'] });
    expect(wallet.cases[0]).toMatchObject({
      status: 'skipped',
      reason: 'applies when payerKind is account (this run: wallet)',
    });
    expect(sent).toHaveLength(0);
    const account = await runSuite(suite, t, { cases: ['account-only'], inputs: { payerKind: 'account' } });
    expect(account.cases[0]?.status).toBe('passed');
    expect(sent).toHaveLength(1);
  });

  it('refuses an appliesTo naming something that is not an input', () => {
    expect(() =>
      parseSuite(SUITE.replace('appliesTo: { payerKind', 'appliesTo: { payerKnd'), 's.yaml'),
    ).toThrow(/account-only: appliesTo names payerKnd, which is not an input/);
  });

  it('never writes a credential into the report, even in a failed assertion', async () => {
    const { target: t } = target(() => ({ status: 201, json: { key: 'bgk_supersecret' } }));
    const report = await runSuite(parseSuite(SUITE, 's.yaml'), t, { cases: ['secret'] });
    expect(report.cases[0]?.status).toBe('failed');
    expect(JSON.stringify(report)).not.toContain('supersecret');
    expect(report.cases[0]?.steps[0]?.assertions[0]?.actual).toMatch(/^\[redacted sha256:[0-9a-f]{16}\]$/);
  });

  it('asks a polled step again until its expectations hold, and gives up when its time is up', async () => {
    const polled = `
schema: billgate.certification/v1
id: poll
version: 1.0.0
title: Poll
protocol: rest
cases:
  - id: resolves
    title: a pending payment resolves on the gateway's own timer
    steps:
      - id: look
        http: { method: GET, path: /ops/payments }
        pollForMs: 2000
        pollEveryMs: 100
        expect: [{ json: state, equals: APPROVED }]
`;
    let asked = 0;
    const { target: t } = target(() => {
      asked += 1;
      return { status: 200, json: { state: asked < 3 ? 'PENDING' : 'APPROVED' } };
    });
    const report = await runSuite(parseSuite(polled, 'p.yaml'), t);
    expect(report.cases[0]?.status).toBe('passed');
    expect(asked).toBe(3);
    expect(report.cases[0]?.steps[0]?.description).toMatch(/^polled: 3 attempts over \d+ ms$/);

    const { target: never } = target(() => ({ status: 200, json: { state: 'PENDING' } }));
    const stuck = await runSuite(parseSuite(polled.replace('2000', '300'), 'p.yaml'), never);
    expect(stuck.cases[0]?.status).toBe('failed');
    expect(stuck.cases[0]?.reason).toContain('expected equals "APPROVED", got "PENDING"');
  });

  it('refuses polling on a step that is not HTTP or has nothing to wait for', () => {
    const bad = SUITE.replace(
      '      - { id: hook, webhook: { event: payment.reversed } }',
      '      - { id: hook, webhook: { event: payment.reversed }, pollForMs: 1000 }',
    ).replace(
      '      - id: pay\n        http: { template: pay }\n',
      '      - id: pay\n        http: { template: pay }\n        pollForMs: 1000\n',
    );
    expect(() => parseSuite(bad, 'bad.yaml')).toThrow(/pollForMs and pollEveryMs apply to an http step only/);
    expect(() => parseSuite(bad, 'bad.yaml')).toThrow(/a polled step needs expectations to wait for/);
  });
});
