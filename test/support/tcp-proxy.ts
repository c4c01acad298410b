import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of a server (PostgreSQL in the fault specs), so a spec can take the
 * network away from the gateway without touching the server: add latency to every chunk, cut every
 * connection (what a server restart or a failover looks like from the client), refuse new ones
 * for a while (the server is gone), or send new ones to another server (the promoted standby).
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private refusing = false;
  /** Added to each chunk in both directions (order is kept: chunks are delayed, never reordered). */
  latencyMs = 0;

  constructor(
    private targetHost: string,
    private targetPort: number,
  ) {}

  /**
   * New connections go to another server from now on (a failover: the promoted standby); the open
   * ones are left to end with the server they reach.
   */
  retarget(host: string, port: number): void {
    this.targetHost = host;
    this.targetPort = port;
  }

  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  async start(port = 0): Promise<number> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return this.port;
  }

  /** Resets every open connection (both sides), as a server restart does. */
  cutAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Cuts every connection and refuses new ones until accept() (the server is unreachable). */
  refuse(): void {
    this.refusing = true;
    this.cutAll();
  }

  acceptAgain(): void {
    this.refusing = false;
  }

  async stop(): Promise<void> {
    this.cutAll();
    const server = this.server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(this.targetPort, this.targetHost);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    this.pipe(client, upstream);
    this.pipe(upstream, client);
  }

  private pipe(from: Socket, to: Socket): void {
    // Each chunk leaves `latencyMs` after it arrived, never before the one ahead of it: a slow link,
    // not a narrow one (delays do not add up along a burst of chunks).
    let nextAt = 0;
    from.on('data', (chunk: Buffer) => {
      if (this.latencyMs <= 0 && nextAt <= Date.now()) {
        to.write(chunk);
        return;
      }
      const at = Math.max(Date.now() + this.latencyMs, nextAt);
      nextAt = at;
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, at - Date.now());
    });
  }
}
