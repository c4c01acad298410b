import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received, on routes whose callers sign it (biller reversals). */
    rawBody?: string;
  }
}

const SIGNED_BODY_LIMIT = 16 * 1024;

/**
 * Keeps the exact bytes of a signed request: a signature is over what was sent, and JSON parsed
 * and serialised again is not guaranteed to be the same text.
 */
export function keepRawBody(fastify: FastifyInstance, pathPrefix: string): void {
  fastify.addHook('preParsing', async (req, _reply, payload) => {
    if (!req.url.startsWith(pathPrefix)) return payload;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of payload) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      size += b.length;
      if (size > SIGNED_BODY_LIMIT) break;
      chunks.push(b);
    }
    const raw = Buffer.concat(chunks);
    req.rawBody = raw.toString('utf8');
    return Readable.from([raw]);
  });
}
