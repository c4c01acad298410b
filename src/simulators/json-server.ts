import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A simulator's answer: JSON by default; with contentType, body is sent as the text it is (a CSV
 * posting file, say).
 */
export interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly delayMs?: number;
  readonly contentType?: string;
}

export type JsonHandler = (
  method: string,
  path: string[],
  body: unknown,
  query: URLSearchParams,
) => Promise<JsonAnswer> | JsonAnswer;

/**
 * A small real HTTP server for the simulators of parties outside the bank. It tracks its sockets and
 * pending delayed answers so that close() is immediate even while it is deliberately hanging.
 */
export class JsonServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly handler: JsonHandler) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    return `http://${host}:${address.port}`;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 64 * 1024) {
        res.writeHead(413).end();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    let body: unknown = undefined;
    if (chunks.length > 0) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        this.send(res, { status: 400, body: { message: 'malformed JSON' } });
        return;
      }
    }
    const url = new URL(req.url ?? '/', 'http://simulator');
    const path = url.pathname
      .split('/')
      .filter((p) => p.length > 0)
      .map(decodeURIComponent);
    try {
      const answer = await this.handler(req.method ?? 'GET', path, body, url.searchParams);
      if (answer.delayMs !== undefined && answer.delayMs > 0) {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (!res.destroyed) this.send(res, answer);
        }, answer.delayMs);
        this.timers.add(timer);
        return;
      }
      this.send(res, answer);
    } catch (error) {
      this.send(res, { status: 500, body: { message: error instanceof Error ? error.message : 'error' } });
    }
  }

  private send(res: ServerResponse, answer: JsonAnswer): void {
    const text =
      answer.contentType !== undefined && typeof answer.body === 'string'
        ? answer.body
        : JSON.stringify(answer.body ?? {});
    res.writeHead(answer.status, {
      'content-type': answer.contentType ?? 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }
}
