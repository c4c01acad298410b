import { connect, type Server as NetServer, type Socket } from 'node:net';
import { createLogger } from '../../infrastructure/logging/logger';
import { encodeFrame, FrameDecoder, type Frame, type LengthHeader, type Tpdu } from '../../protocols/iso8583';
import { Iso8583TcpServer, type FrameHandler, type Iso8583TcpOptions } from './iso8583-tcp.server';

/**
 * The transport alone, over real loopback sockets, with a stub in place of the ISO 8583 flows: what
 * it does with framing, timing and connection state must not depend on what the messages mean.
 */

interface Framing {
  readonly header: LengthHeader;
  readonly tpdu: boolean;
}

const BINARY2: Framing = { header: 'binary2', tpdu: false };
const TIMEOUT_MS = 1000;

/** Answers `ANS <request>`; `HOLD…` waits for release(), `BAD` asks for a close, `THROW` fails. */
class StubFlows {
  readonly seen: string[] = [];
  private readonly held = new Map<string, () => void>();

  readonly handle: FrameHandler = async (payload) => {
    const text = payload.toString('latin1');
    this.seen.push(text);
    if (text === 'BAD') return { close: 'undecodable frame' };
    if (text === 'THROW') throw new Error('a bug in the flows');
    if (text.startsWith('HOLD')) await new Promise<void>((resolve) => this.held.set(text, resolve));
    return { reply: Buffer.from(`ANS ${text}`, 'latin1') };
  };

  release(text: string): void {
    this.held.get(text)?.();
    this.held.delete(text);
  }

  releaseAll(): void {
    for (const text of [...this.held.keys()]) this.release(text);
  }
}

/** A partner's end of the connection: collects answers and records what happened, in order. */
class Peer {
  readonly answers: Frame[] = [];
  readonly raw: Buffer[] = [];
  readonly events: string[] = [];
  closed = false;
  private readonly decoder: FrameDecoder;
  private readonly listeners = new Set<() => void>();

  private constructor(
    readonly socket: Socket,
    private readonly framing: Framing,
  ) {
    this.decoder = new FrameDecoder({ header: framing.header, tpdu: framing.tpdu, maxFrameSize: 65535 });
    socket.on('data', (chunk: Buffer) => {
      this.raw.push(chunk);
      for (const frame of this.decoder.push(chunk)) {
        this.answers.push(frame);
        this.events.push(frame.payload.toString('latin1'));
      }
      this.notify();
    });
    socket.on('end', () => {
      this.events.push('end');
      this.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.events.push('closed');
      this.notify();
    });
    socket.on('error', () => undefined);
  }

  static async open(port: number, framing = BINARY2, allowHalfOpen = false): Promise<Peer> {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const peer = new Peer(socket, framing);
    peers.push(peer);
    return peer;
  }

  send(text: string, tpdu?: Tpdu): void {
    this.socket.write(frame(text, this.framing.header, tpdu));
  }

  texts(): string[] {
    return this.answers.map((f) => f.payload.toString('latin1'));
  }

  /** Resolves once the condition holds; it is checked whenever something arrives or the socket closes. */
  until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`timed out waiting for ${what}; events so far: ${this.events.join(' | ')}`));
      }, timeoutMs);
      this.listeners.add(check);
    });
  }

  private notify(): void {
    for (const check of [...this.listeners]) check();
  }
}

function frame(text: string, header: LengthHeader = 'binary2', tpdu?: Tpdu): Buffer {
  return encodeFrame(Buffer.from(text, 'latin1'), { header, tpdu });
}

/** For state only the server can see (its own connection table, its log); generous by default. */
async function eventually(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Cuts a stream of equal-sized frames into chunks of about one and a half frames, each ending a
 * quarter or three quarters into a frame: every chunk completes a frame and leaves the next one
 * incomplete, which is how a busy partner's segments look when they do not line up with its frames.
 */
function chunksEndingMidFrame(frames: readonly Buffer[]): Buffer[] {
  const size = frames[0]!.length;
  expect(frames.every((f) => f.length === size)).toBe(true);
  const stream = Buffer.concat(frames);
  const chunks: Buffer[] = [];
  let start = 0;
  for (let k = 0; ; k++) {
    const cut = Math.round((k * 1.5 + 0.25) * size);
    if (cut >= stream.length) break;
    expect(cut % size).not.toBe(0);
    if (cut > start) chunks.push(stream.subarray(start, cut));
    start = cut;
  }
  chunks.push(stream.subarray(start));
  return chunks;
}

const logLines: Record<string, unknown>[] = [];
const log = createLogger('debug', { write: (line: string) => void logLines.push(JSON.parse(line)) });
const logged = (msg: string): boolean => logLines.some((l) => l.msg === msg);

const servers: Iso8583TcpServer[] = [];
const peers: Peer[] = [];
let stub: StubFlows;

beforeEach(() => {
  stub = new StubFlows();
  logLines.length = 0;
});

afterEach(async () => {
  stub.releaseAll();
  for (const p of peers.splice(0)) p.socket.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Partial<Iso8583TcpOptions> = {}): Promise<Iso8583TcpServer> {
  const server = new Iso8583TcpServer(
    {
      laneId: 'unit',
      host: '127.0.0.1',
      port: 0,
      lengthHeader: 'binary2',
      tpdu: false,
      maxFrameSize: 1024,
      incompleteFrameTimeoutMs: TIMEOUT_MS,
      drainTimeoutMs: 5000,
      ...options,
    },
    stub.handle,
    log,
  );
  servers.push(server);
  await new Promise<void>((resolve, reject) =>
    server.listen((error) =>
      error === undefined ? resolve() : reject(error instanceof Error ? error : new Error('listen failed')),
    ),
  );
  return server;
}

describe('incomplete-frame timeout', () => {
  it('keeps a busy peer whose chunks never end on a frame boundary, for well past the timeout', async () => {
    const server = await start();
    const peer = await Peer.open(server.port);
    const requests = Array.from({ length: 80 }, (_, i) => `ECHO ${String(i).padStart(5, '0')}`);
    const chunks = chunksEndingMidFrame(requests.map((r) => frame(r)));
    const began = Date.now();
    for (const chunk of chunks) {
      expect(peer.closed).toBe(false);
      peer.socket.write(chunk);
      await sleep(50);
    }
    // The test only means something if the stream was held mid-frame longer than the timeout.
    expect(Date.now() - began).toBeGreaterThan(2 * TIMEOUT_MS);
    await peer.until(() => peer.answers.length === requests.length || peer.closed, 'every answer');
    expect(peer.closed).toBe(false);
    expect(peer.texts().sort()).toEqual(requests.map((r) => `ANS ${r}`).sort());
    expect(logged('incomplete frame timed out; closing')).toBe(false);
  });

  it('disconnects a peer that stops mid-frame after the timeout; other peers go on', async () => {
    const server = await start();
    const bystander = await Peer.open(server.port);
    bystander.send('ECHO before');
    await bystander.until(() => bystander.answers.length === 1, 'the first answer');
    const midHeader = await Peer.open(server.port);
    const midBody = await Peer.open(server.port);
    const began = Date.now();
    midHeader.socket.write(frame('ECHO stuck').subarray(0, 1));
    midBody.socket.write(frame('ECHO stuck').subarray(0, 6));
    await midHeader.until(() => midHeader.closed, 'the close', TIMEOUT_MS + 5000);
    await midBody.until(() => midBody.closed, 'the close', TIMEOUT_MS + 5000);
    expect(Date.now() - began).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(stub.seen).not.toContain('ECHO stuck');
    expect(logLines.filter((l) => l.msg === 'incomplete frame timed out; closing')).toHaveLength(2);

    bystander.send('ECHO after');
    await bystander.until(() => bystander.answers.length === 2, 'the second answer');
    expect(bystander.texts()).toEqual(['ANS ECHO before', 'ANS ECHO after']);
    expect(bystander.closed).toBe(false);
    const fresh = await Peer.open(server.port);
    fresh.send('ECHO fresh');
    await fresh.until(() => fresh.answers.length === 1, 'an answer on a new connection');
  });
});

describe('giving up on a peer', () => {
  it('a close answer stops reading, lets the request in flight answer, then ends the connection', async () => {
    const server = await start();
    const peer = await Peer.open(server.port);
    const other = await Peer.open(server.port);
    peer.send('HOLD 1');
    await eventually(() => stub.seen.includes('HOLD 1'), 'HOLD 1 to be in flight');
    peer.send('BAD');
    await eventually(() => logged('closing peer'), 'the close to be logged');
    expect(logLines.find((l) => l.msg === 'closing peer')).toMatchObject({
      level: 40,
      lane: 'unit',
      reason: 'undecodable frame',
    });
    peer.send('ECHO after the bad frame');
    // Time in which a server still reading would have dispatched it; not seeing it is the point.
    await sleep(200);
    expect(peer.closed).toBe(false);

    stub.release('HOLD 1');
    await peer.until(() => peer.closed, 'the close');
    expect(peer.events).toEqual(['ANS HOLD 1', 'end', 'closed']);
    expect(stub.seen).toEqual(['HOLD 1', 'BAD']);

    other.send('ECHO other');
    await other.until(() => other.answers.length === 1, 'the other peer’s answer');
    expect(other.closed).toBe(false);
  });

  it('a close answer with nothing in flight ends the connection at once', async () => {
    const server = await start();
    const peer = await Peer.open(server.port);
    peer.send('BAD');
    await peer.until(() => peer.closed, 'the close');
    expect(peer.answers).toHaveLength(0);
  });

  it('a framing error lets the request in flight answer before the connection ends', async () => {
    const server = await start();
    const peer = await Peer.open(server.port);
    peer.send('HOLD 1');
    await eventually(() => stub.seen.includes('HOLD 1'), 'HOLD 1 to be in flight');
    peer.socket.write(Buffer.from([0xff, 0xff, 0x30])); // announces more than maxFrameSize
    await eventually(() => logged('iso8583 framing error; closing the connection'), 'the framing error');
    stub.release('HOLD 1');
    await peer.until(() => peer.closed, 'the close');
    expect(peer.events).toEqual(['ANS HOLD 1', 'end', 'closed']);
  });

  it('a handler failure lets the other request in flight answer before the connection ends', async () => {
    const server = await start();
    const peer = await Peer.open(server.port);
    peer.send('HOLD 1');
    await eventually(() => stub.seen.includes('HOLD 1'), 'HOLD 1 to be in flight');
    peer.send('THROW');
    await eventually(() => logged('iso8583 handler failed; closing the connection'), 'the failure');
    stub.release('HOLD 1');
    await peer.until(() => peer.closed, 'the close');
    expect(peer.events).toEqual(['ANS HOLD 1', 'end', 'closed']);
  });

  it('destroys the connection when a request in flight outlasts the drain timeout', async () => {
    const drainTimeoutMs = 400;
    const server = await start({ drainTimeoutMs });
    const peer = await Peer.open(server.port);
    peer.send('HOLD forever');
    await eventually(() => stub.seen.includes('HOLD forever'), 'the request to be in flight');
    const began = Date.now();
    peer.send('BAD');
    await peer.until(() => peer.closed, 'the close', drainTimeoutMs + 5000);
    expect(Date.now() - began).toBeGreaterThanOrEqual(drainTimeoutMs - 20);
    expect(peer.answers).toHaveLength(0);
    await eventually(() => server.connectionCount === 0, 'the server to forget the connection');
    // A late answer for a socket already gone is dropped quietly.
    stub.release('HOLD forever');
    await sleep(20);
  });

  it('destroys a connection whose peer never closes its side within the drain timeout', async () => {
    const drainTimeoutMs = 400;
    const server = await start({ drainTimeoutMs });
    const peer = await Peer.open(server.port, BINARY2, true);
    peer.send('BAD');
    await peer.until(() => peer.events.includes('end'), 'the server to end its side');
    await eventually(() => server.connectionCount === 0, 'the server to drop the half-open socket');
  });
});

describe('graceful shutdown', () => {
  it('takes no new request once closing, answers those in flight, then ends every connection', async () => {
    const server = await start();
    const peer = await Peer.open(server.port);
    peer.send('HOLD in flight');
    await eventually(() => stub.seen.includes('HOLD in flight'), 'the request to be in flight');
    const closed = server.close();
    peer.send('ECHO sent during the drain');
    // Time in which a server still reading would have dispatched it; not seeing it is the point.
    await sleep(200);
    expect(stub.seen).toEqual(['HOLD in flight']);
    stub.release('HOLD in flight');
    await closed;
    await peer.until(() => peer.closed, 'the close');
    expect(peer.texts()).toEqual(['ANS HOLD in flight']);
  });
});

describe('many requests on one connection', () => {
  it('answers each as it completes, not in the order asked', async () => {
    const server = await start();
    const peer = await Peer.open(server.port);
    peer.socket.write(Buffer.concat([frame('HOLD first'), frame('ECHO second')]));
    await peer.until(() => peer.answers.length === 1, 'the quick answer');
    expect(peer.texts()).toEqual(['ANS ECHO second']);
    stub.release('HOLD first');
    await peer.until(() => peer.answers.length === 2, 'the slow answer');
    expect(peer.texts()).toEqual(['ANS ECHO second', 'ANS HOLD first']);
    expect(peer.closed).toBe(false);
  });

  it('answers that become ready in the same turn leave in one system call', async () => {
    const server = await start();
    // Count how the server's side of the connection writes: one writev for several answers, or one
    // write each.
    const writes: number[] = [];
    server.unwrap<NetServer>().on('connection', (socket: Socket) => {
      const inner = socket as unknown as {
        _writev: (chunks: unknown[], cb: (e?: Error) => void) => void;
        _write: (chunk: unknown, enc: string, cb: (e?: Error) => void) => void;
      };
      const writev = inner._writev.bind(socket);
      const write = inner._write.bind(socket);
      inner._writev = (chunks, cb) => {
        writes.push(chunks.length);
        writev(chunks, cb);
      };
      inner._write = (chunk, enc, cb) => {
        writes.push(1);
        write(chunk, enc, cb);
      };
    });
    const peer = await Peer.open(server.port);
    peer.socket.write(Buffer.concat([frame('HOLD a'), frame('HOLD b'), frame('HOLD c')]));
    await eventually(() => stub.seen.length === 3, 'three requests in flight');
    stub.releaseAll();
    await peer.until(() => peer.answers.length === 3, 'three answers');
    expect(writes).toEqual([3]);
  });
});

describe.each<[string, Framing]>([
  ['4-byte ASCII length header', { header: 'ascii4', tpdu: false }],
  ['2-byte length header and a TPDU', { header: 'binary2', tpdu: true }],
  ['4-byte ASCII length header and a TPDU', { header: 'ascii4', tpdu: true }],
])('%s', (_name, framing) => {
  const requestTpdu: Tpdu = { destination: 0x0003, source: 0x0107 };

  it('reads requests and frames answers the same way over a real socket', async () => {
    const server = await start({ lengthHeader: framing.header, tpdu: framing.tpdu });
    const peer = await Peer.open(server.port, framing);
    const tpdu = framing.tpdu ? requestTpdu : undefined;
    // Two frames in one write, the second split mid-header, so framing is not helped by segment luck.
    const second = frame('ECHO two', framing.header, tpdu);
    peer.socket.write(Buffer.concat([frame('ECHO one', framing.header, tpdu), second.subarray(0, 1)]));
    await peer.until(() => peer.answers.length === 1, 'the first answer');
    peer.socket.write(second.subarray(1));
    await peer.until(() => peer.answers.length === 2, 'the second answer');
    expect(stub.seen).toEqual(['ECHO one', 'ECHO two']);

    const bytes = Buffer.concat(peer.raw);
    const body = Buffer.concat([
      ...(framing.tpdu ? [Buffer.from([0x60, 0x01, 0x07, 0x00, 0x03])] : []),
      Buffer.from('ANS ECHO one', 'latin1'),
    ]);
    const header =
      framing.header === 'ascii4'
        ? Buffer.from(String(body.length).padStart(4, '0'), 'latin1')
        : Buffer.from([0, body.length]);
    expect(bytes.subarray(0, header.length + body.length)).toEqual(Buffer.concat([header, body]));
    if (framing.tpdu) {
      // The answer goes back where the request came from: source and destination swap.
      expect(peer.answers.map((a) => a.tpdu)).toEqual([
        { destination: 0x0107, source: 0x0003 },
        { destination: 0x0107, source: 0x0003 },
      ]);
    }
  });
});
