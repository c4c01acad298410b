/*
 * ISO 8583 end to end: many connections, each with several 0200s in flight (pipelined), against the
 * running gateway (a separate process) on the demo lane (ascii87, 2-byte length header).
 *
 *   npm run bench -- iso8583-e2e [--connections 16] [--depth 8] [--seconds 15]
 *   DATABASE_URL=postgres://... REDIS_URL=redis://... npm run bench -- iso8583-e2e
 */
import { connect, type Socket } from 'node:net';
import { encodeFrame, FrameDecoder, loadDialect, pack, unpack } from '../src/protocols/iso8583';
import { startGatewayProcess } from './lib/gateway-process';
import { arg, fmt, summarise } from './lib/stats';

const spec = loadDialect('ascii87').spec;

function transmissionTime(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

class Connection {
  private readonly decoder = new FrameDecoder({ header: 'binary2', maxFrameSize: 65535 });
  private readonly pending = new Map<string, (code: string) => void>();

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => {
      for (const frame of this.decoder.push(chunk)) {
        const m = unpack(spec, frame.payload);
        const stan = text(m.fields.get(11));
        this.pending.get(stan)?.(text(m.fields.get(39)));
        this.pending.delete(stan);
      }
    });
  }

  send(stan: string, seq: number): Promise<string> {
    const bytes = pack(spec, {
      mti: '0200',
      fields: {
        3: '500000',
        4: '000000001000',
        7: transmissionTime(),
        11: stan,
        12: '103000',
        13: '1123',
        32: '470001',
        37: `B${String(seq).padStart(11, '0')}`,
        41: 'TERM0001',
        42: 'MERCHANT0000001',
        48: { '01': ['ELECTRICITY', 'WATER', 'GAS'][seq % 3]!, '02': `BENCH-${seq}` },
        49: '050',
        102: `0171${String(seq % 1_000_000).padStart(7, '0')}`,
      },
    });
    return new Promise((resolve) => {
      this.pending.set(stan, resolve);
      this.socket.write(encodeFrame(bytes, { header: 'binary2' }));
    });
  }
}

async function main(): Promise<void> {
  const connections = Number(arg('connections', '16'));
  const depth = Number(arg('depth', '8'));
  const seconds = Number(arg('seconds', '15'));
  const engine =
    process.env.DATABASE_URL !== undefined ? 'PostgreSQL + Redis' : 'embedded (PGlite + in-process cache)';
  const gw = await startGatewayProcess({});
  const conns = await Promise.all(
    Array.from({ length: connections }, async () => {
      const socket = connect({ host: '127.0.0.1', port: gw.ports.iso8583 });
      await new Promise((r) => socket.once('connect', r));
      socket.setNoDelay(true);
      return new Connection(socket);
    }),
  );

  // STANs must be unique per partner among requests in flight, and with field 7 they key
  // idempotency: a run uses each (STAN, second) pair once.
  let seq = 0;
  const samples: bigint[] = [];
  const codes = new Map<string, number>();
  const loop = async (c: Connection, until: number, record: boolean): Promise<void> => {
    while (Date.now() < until) {
      seq += 1;
      const stan = String(seq % 1_000_000).padStart(6, '0');
      const started = process.hrtime.bigint();
      const code = await c.send(stan, seq);
      if (record) {
        samples.push(process.hrtime.bigint() - started);
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    }
  };
  const warm = Date.now() + 3000;
  await Promise.all(conns.flatMap((c) => Array.from({ length: depth }, () => loop(c, warm, false))));
  const started = Date.now();
  await Promise.all(
    conns.flatMap((c) => Array.from({ length: depth }, () => loop(c, started + seconds * 1000, true))),
  );
  const elapsed = (Date.now() - started) / 1000;
  const s = summarise(samples);
  console.log(
    `ISO 8583 0200 → 0210 on ${engine}: ${connections} connections × ${depth} in flight, ${seconds} s`,
  );
  console.log(
    `  ${s.count} payments, ${fmt(s.count / elapsed, 0)} payments/s, p50 ${fmt(s.p50Ms)} ms, p90 ${fmt(s.p90Ms)} ms, p99 ${fmt(s.p99Ms)} ms`,
  );
  console.log(`  field 39: ${[...codes].map(([k, v]) => `${k}=${v}`).join(' ')}`);
  for (const c of conns) c.socket.destroy();
  await gw.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
