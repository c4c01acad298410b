import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** A reconciliation file upload, spooled to disk while its SHA-256 was computed. */
    reconUpload?: { readonly path: string; readonly sha256: string; readonly bytes: number };
  }
}

/** The routes that take a reconciliation file as their body. */
const UPLOAD_ROUTES = new Set(['/ops/recon/files', '/partner/recon/files']);
/** Largest file taken over HTTP (a million-row CSV is about 100 MiB). */
export const RECON_UPLOAD_LIMIT = 1024 * 1024 * 1024;

/**
 * Reconciliation files are never held in memory: on their routes the body streams to a temporary
 * file while it is hashed, and the request carries the file's path and hash onwards (the content
 * parser then sees an empty body). The file is removed when the answer has been sent.
 */
export function spoolReconUploads(
  fastify: FastifyInstance,
  /**
   * Whether the request's credential may upload on this route (ops key on /ops, partner key on
   * /partner), checked before a byte is written: the full checks run again in the route's guard.
   */
  mayUpload: (authorization: string | undefined, route: 'ops' | 'partner') => Promise<boolean>,
): void {
  if (!fastify.hasContentTypeParser('application/octet-stream')) {
    fastify.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) =>
      done(null, body),
    );
  }
  fastify.addHook('onRoute', (route) => {
    if (route.method === 'POST' && UPLOAD_ROUTES.has(route.url)) route.bodyLimit = RECON_UPLOAD_LIMIT;
  });
  fastify.addHook('preParsing', async (req, _reply, payload) => {
    const path = req.url.split('?')[0] ?? '';
    if (req.method !== 'POST' || !UPLOAD_ROUTES.has(path)) return payload;
    if (!(await mayUpload(req.headers.authorization, path.startsWith('/ops/') ? 'ops' : 'partner'))) {
      throw Object.assign(new Error('Authentication required: send Authorization: Bearer <api key>'), {
        statusCode: 401,
      });
    }
    const dir = mkdtempSync(join(tmpdir(), 'billgate-recon-upload-'));
    const file = join(dir, 'upload');
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      await pipeline(
        payload,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            bytes += chunk.length;
            if (bytes > RECON_UPLOAD_LIMIT)
              throw Object.assign(new Error('file too large'), { statusCode: 413 });
            hash.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(file),
      );
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    req.reconUpload = { path: file, sha256: hash.digest('hex'), bytes };
    const empty = Readable.from([]) as Readable & { receivedEncodedLength?: number };
    // What Fastify compares with Content-Length: the bytes that did arrive.
    empty.receivedEncodedLength = bytes;
    return empty;
  });
  fastify.addHook('onResponse', (req, _reply, done) => {
    if (req.reconUpload !== undefined)
      rmSync(join(req.reconUpload.path, '..'), { recursive: true, force: true });
    done();
  });
}
