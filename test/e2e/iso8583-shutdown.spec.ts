import { startTestGateway } from '../support/gateway';
import { billPayment, Iso8583TestClient } from '../support/iso8583-client';

/** A graceful shutdown answers what is in flight before it closes the partner's socket. */
it('finishes an in-flight 0200 before closing the connection', async () => {
  const gw = await startTestGateway();
  const client = await Iso8583TestClient.connect(gw.iso8583Ports['iso8583-demo']!);
  try {
    // SLOW references are answered by the biller after 200 ms: the stop begins while it is pending.
    const answer = client.request('0200', billPayment({ 48: { '01': 'WATER', '02': 'SLOW-shutdown' } }));
    await new Promise((r) => setTimeout(r, 50));
    const stopping = gw.stop();
    const res = await answer;
    expect(res.mti).toBe('0210');
    expect(res.fields.get(39)).toBe('00');
    await stopping;
    expect(await client.waitClosed()).toBe(true);
  } finally {
    client.close();
  }
});
