import { runSuite } from '../../src/domain/certification/runner';
import { summarise } from '../../src/domain/certification/report';
import { loadSuite, openTarget } from '../../src/certification/suites';
import { startTestGateway, type TestGateway } from '../support/gateway';

jest.setTimeout(120_000);

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

function iso8583Port(): number {
  const port = gw.iso8583Ports['iso8583-demo'];
  if (port === undefined) throw new Error('no demo ISO 8583 lane');
  return port;
}

describe('the built-in suites pass against billgate itself', () => {
  it('iso8583-ascii87', async () => {
    const suite = loadSuite('iso8583-ascii87');
    const target = await openTarget(suite, {
      iso8583: `127.0.0.1:${iso8583Port()}`,
      http: gw.httpUrl,
      credentials: { ops: 'demo-key-ops' },
    });
    try {
      const report = await runSuite(suite, target);
      console.log(summarise(report));
      expect(report.cases.filter((c) => c.status === 'failed').map((c) => `${c.id}: ${c.reason}`)).toEqual(
        [],
      );
      expect(report.result).toBe('passed');
    } finally {
      target.close();
    }
  });

  it.each([
    ['rest', 'demo-key-demo-mfs'],
    ['iso20022', 'demo-key-demo-bank'],
  ])('%s', async (name, key) => {
    const suite = loadSuite(name);
    const target = await openTarget(suite, {
      http: gw.httpUrl,
      credentials: { partner: key, ops: 'demo-key-ops' },
      capabilities: ['credential-rotation'],
    });
    try {
      const report = await runSuite(suite, target);
      console.log(summarise(report));
      expect(report.cases.filter((c) => c.status === 'failed').map((c) => `${c.id}: ${c.reason}`)).toEqual(
        [],
      );
      expect(report.result).toBe('passed');
    } finally {
      target.close();
    }
  });
});
