import type { X509Certificate } from 'node:crypto';
import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import {
  encodeFrame,
  FrameDecoder,
  FramingError,
  swapTpdu,
  type Frame,
  type LengthHeader,
} from '../../protocols/iso8583';
import type { Logger } from '../../infrastructure/logging/logger';

export interface TcpPeer {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The client certificate on a mutual-TLS lane, as received at the handshake. */
  readonly certificate?: X509Certificate;
}

/** What the protocol layer makes of one frame: bytes to answer with, nothing, or "close this peer". */
export type FrameAnswer = { readonly reply: Buffer } | { readonly close: string } | undefined;

export type FrameHandler = (payload: Buffer, peer: TcpPeer) => Promise<FrameAnswer>;

export interface Iso8583TcpOptions {
  readonly laneId: string;
  readonly host: string;
  readonly port: number;
  readonly lengthHeader: LengthHeader;
  readonly tpdu: boolean;
  readonly maxFrameSize: number;
  /** A peer holding one frame incomplete this long is disconnected. */
  readonly incompleteFrameTimeoutMs: number;
  /**
   * How long a graceful shutdown, or a connection being given up on, waits for in-flight requests
   * before the socket is destroyed.
   */
  readonly drainTimeoutMs: number;
  readonly tls?: {
    readonly key: string;
    readonly cert: string;
    readonly ca?: string;
    readonly requestCert: boolean;
  };
  /** Edge guard, called before a single byte is read: false closes the connection at once. */
  readonly admit?: (peer: TcpPeer) => boolean;
  readonly onRefused?: (peer: TcpPeer, reason: string) => void;
}

interface Connection {
  readonly socket: Socket;
  readonly peer: TcpPeer;
  readonly decoder: FrameDecoder;
  inFlight: number;
  /** When the frame now incomplete began to arrive; undefined while none is. */
  partialSince: number | undefined;
  /** Answers written in this turn of the event loop are held and leave in one write. */
  corked: boolean;
  /** Set once the peer is given up on: nothing more is read, answers already owed are still written. */
  retiring: boolean;
  retireDeadline: NodeJS.Timeout | undefined;
}

/**
 * The ISO 8583 TCP lane as a NestJS custom transport, modelled on NestJS's ServerTCP: a net (or TLS)
 * server, pluggable framing, a frame-size cap, a timeout for incomplete frames, and sockets tracked so
 * close() can drain in-flight requests and then end every connection.
 *
 * Requests on one connection are handled concurrently and answered as each completes, so answers may
 * leave in a different order than requests arrived (partners match them by STAN/RRN). A peer that
 * breaks framing is disconnected; no other connection notices. Disconnecting a peer still delivers
 * the answers to its requests already in flight: they may be payments that have posted.
 */
export class Iso8583TcpServer extends Server implements CustomTransportStrategy {
  private server: NetServer | undefined;
  private readonly connections = new Set<Connection>();
  private nextId = 1;
  private sweeper: NodeJS.Timeout | undefined;
  private closing = false;
  private boundPort = 0;

  constructor(
    private readonly options: Iso8583TcpOptions,
    private readonly handler: FrameHandler,
    private readonly log: Logger,
  ) {
    super();
  }

  get port(): number {
    return this.boundPort;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  listen(callback: (error?: unknown) => void): void {
    const onConnection = (socket: Socket): void => this.accept(socket);
    const tls = this.options.tls;
    this.server =
      tls === undefined
        ? createNetServer({ noDelay: true }, onConnection)
        : createTlsServer(
            {
              key: tls.key,
              cert: tls.cert,
              ca: tls.ca,
              requestCert: tls.requestCert,
              rejectUnauthorized: tls.requestCert,
            },
            onConnection,
          );
    let listening = false;
    this.server.on('error', (error) => {
      // Failing to bind (port in use) must fail the start-up, not leave it waiting forever.
      if (!listening) callback(error);
      else this.log.error({ err: error, lane: this.options.laneId }, 'iso8583 lane error');
    });
    this.server.listen(this.options.port, this.options.host, () => {
      listening = true;
      const address = this.server?.address();
      this.boundPort = typeof address === 'object' && address !== null ? address.port : this.options.port;
      this.log.info({ lane: this.options.laneId, port: this.boundPort }, 'iso8583 lane listening');
      callback();
    });
    this.sweeper = setInterval(
      () => this.dropStuckPeers(),
      Math.max(50, this.options.incompleteFrameTimeoutMs / 4),
    );
    this.sweeper.unref();
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    const server = this.server;
    const stopped = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    // No new request is taken on any connection (a frame arriving now would only stretch the drain);
    // those in flight finish and are answered, then each socket ends.
    for (const c of this.connections) this.retire(c);
    const deadline = Date.now() + this.options.drainTimeoutMs;
    while ([...this.connections].some((c) => c.inFlight > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const c of this.connections) c.socket.end();
    await new Promise((r) => setTimeout(r, 20));
    for (const c of this.connections) c.socket.destroy();
    await stopped;
  }

  on(): never {
    throw new Error('the ISO 8583 lane does not emit events');
  }

  unwrap<T>(): T {
    if (this.server === undefined) throw new Error('not listening');
    return this.server as T;
  }

  private accept(socket: Socket): void {
    const tlsSocket = socket as TLSSocket;
    const cert =
      typeof tlsSocket.getPeerX509Certificate === 'function' ? tlsSocket.getPeerX509Certificate() : undefined;
    const peer: TcpPeer = {
      id: this.nextId++,
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      ...(cert !== undefined ? { certificate: cert } : {}),
    };
    if (this.closing || (this.options.admit !== undefined && !this.options.admit(peer))) {
      this.options.onRefused?.(peer, this.closing ? 'shutting-down' : 'not-allowed');
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    const conn: Connection = {
      socket,
      peer,
      decoder: new FrameDecoder({
        header: this.options.lengthHeader,
        tpdu: this.options.tpdu,
        maxFrameSize: this.options.maxFrameSize,
      }),
      inFlight: 0,
      partialSince: undefined,
      corked: false,
      retiring: false,
      retireDeadline: undefined,
    };
    this.connections.add(conn);
    socket.on('data', (chunk: Buffer) => this.receive(conn, chunk));
    socket.on('error', (error) =>
      this.log.debug({ err: error.message, peer: peer.id }, 'iso8583 peer socket error'),
    );
    socket.on('close', () => {
      clearTimeout(conn.retireDeadline);
      this.connections.delete(conn);
    });
  }

  private receive(conn: Connection, chunk: Buffer): void {
    // Bytes read while a retiring socket is drained to its close are discarded, never dispatched.
    if (conn.retiring) return;
    let frames: Frame[];
    try {
      frames = conn.decoder.push(chunk);
    } catch (error) {
      if (error instanceof FramingError) {
        this.log.warn(
          {
            lane: this.options.laneId,
            peer: conn.peer.remoteAddress,
            kind: error.kind,
            offset: error.streamOffset,
          },
          'iso8583 framing error; closing the connection',
        );
        // Frames completed before the fault are answered first; retire() waits for their answers.
        for (const frame of conn.decoder.takeFramesBeforeFailure()) this.dispatch(conn, frame);
        this.retire(conn);
        return;
      }
      throw error;
    }
    // The timeout is about one frame staying incomplete: a busy peer whose segments do not line up
    // with its frames always holds a partial frame, but never the same one for long.
    if (!conn.decoder.hasPartialFrame) conn.partialSince = undefined;
    else if (frames.length > 0 || conn.partialSince === undefined) conn.partialSince = Date.now();
    for (const frame of frames) this.dispatch(conn, frame);
  }

  private dispatch(conn: Connection, frame: Frame): void {
    conn.inFlight += 1;
    this.handler(frame.payload, conn.peer)
      .then((answer) => {
        if (answer === undefined || conn.socket.destroyed || conn.socket.writableEnded) return;
        if ('close' in answer) {
          this.log.warn(
            { lane: this.options.laneId, peer: conn.peer.remoteAddress, reason: answer.close },
            'closing peer',
          );
          this.retire(conn);
          return;
        }
        this.writeAnswer(
          conn,
          encodeFrame(answer.reply, {
            header: this.options.lengthHeader,
            tpdu: frame.tpdu === undefined ? undefined : swapTpdu(frame.tpdu),
          }),
        );
      })
      .catch((error: unknown) => {
        this.log.error(
          { err: error, lane: this.options.laneId },
          'iso8583 handler failed; closing the connection',
        );
        this.retire(conn);
      })
      .finally(() => {
        conn.inFlight -= 1;
        this.endIfDrained(conn);
      });
  }

  /**
   * Gives up on a peer without dropping what it is owed: the socket is paused so no further frame is
   * dispatched (and the peer feels back-pressure), requests already in flight finish and write their
   * answers, and then the socket is ended. A peer that never lets it close is destroyed at the
   * drain timeout, as is one whose requests are still unanswered by then.
   */
  private retire(conn: Connection): void {
    if (conn.retiring) return;
    conn.retiring = true;
    conn.partialSince = undefined;
    conn.socket.pause();
    conn.retireDeadline = setTimeout(() => conn.socket.destroy(), this.options.drainTimeoutMs);
    conn.retireDeadline.unref();
    this.endIfDrained(conn);
  }

  private endIfDrained(conn: Connection): void {
    if (!conn.retiring || conn.inFlight > 0 || conn.socket.destroyed || conn.socket.writableEnded) return;
    conn.socket.end();
    // Reading again lets the peer's FIN arrive so the socket can close; receive() discards the rest.
    conn.socket.resume();
  }

  /**
   * Payments finish in batches (group commit), so many answers for one connection become ready in
   * the same turn; corking until the turn ends sends them in one system call instead of one each.
   */
  private writeAnswer(conn: Connection, bytes: Buffer): void {
    if (!conn.corked) {
      conn.corked = true;
      conn.socket.cork();
      process.nextTick(() => {
        conn.corked = false;
        conn.socket.uncork();
      });
    }
    conn.socket.write(bytes);
  }

  private dropStuckPeers(): void {
    const limit = Date.now() - this.options.incompleteFrameTimeoutMs;
    for (const c of this.connections) {
      if (c.partialSince !== undefined && c.partialSince < limit) {
        this.log.warn(
          { lane: this.options.laneId, peer: c.peer.remoteAddress },
          'incomplete frame timed out; closing',
        );
        this.retire(c);
      }
    }
  }
}
