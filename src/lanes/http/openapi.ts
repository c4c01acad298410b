import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { problemSchema, schemaOf } from './openapi-schemas';
import { RESPONSE_SCHEMAS } from './openapi-responses';

/** How each group of endpoints authenticates; the schemes are declared once below. */
type Scheme = 'partnerApiKey' | 'opsApiKey' | 'terminalKey' | 'mtlsJwt';

const SCHEMES: Record<Scheme, { bearerFormat: string; description: string }> = {
  partnerApiKey: {
    bearerFormat: 'API key',
    description:
      'A partner API key as `Authorization: Bearer <key>` on the plain and IPSec/MPLS lanes. An opaque key ' +
      '(e.g. `demo-key-demo-mfs`), not a JWT; stored as its SHA-256, rotated on notice.',
  },
  opsApiKey: {
    bearerFormat: 'API key',
    description:
      'The ops API key as `Authorization: Bearer <key>` (e.g. `demo-key-ops`); never accepted on the public mTLS lane.',
  },
  terminalKey: {
    bearerFormat: 'terminal key',
    description:
      'An agent terminal’s own device key (`bgt_…`) as `Authorization: Bearer <key>`, on /agent/* only.',
  },
  mtlsJwt: {
    bearerFormat: 'JWT',
    description:
      'Public mTLS lane only: an ES256 JWT from `POST /oauth/token` (client credentials, the client authenticated ' +
      'by its certificate), bound to that certificate (`cnf.x5t#S256`), sent over the same certificate. 5 minutes.',
  },
};

/** Who may call what, by path prefix (first match). No entry: no credential (health, JWKS...). */
const SECURITY: readonly [RegExp, readonly Scheme[]][] = [
  [/^\/ops\//, ['opsApiKey']],
  [/^\/agent\//, ['terminalKey']],
  [/^\/(bill|iso20022|partner)\//, ['partnerApiKey', 'mtlsJwt']],
];

interface ResponseDoc {
  readonly description: string;
}

/** Answers beyond the generic ones, where an operation can give them (see the controllers). */
const EXTRA: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'POST /bill/pay': {
    '409': 'idempotency-key-in-flight: the first request under this key is still running (Retry-After: 1)',
    '422': 'this Idempotency-Key was used for another request',
  },
  'POST /agent/pay': {
    '409': 'idempotency-key-in-flight: the first request under this key is still running',
    '422': 'this idempotency key was used for another payment',
  },
  'POST /ops/partners': { '409': 'partner-exists', '422': 'invalid schedules, each problem listed' },
  'PUT /ops/partners/{id}/schedules': { '422': 'invalid schedules (or none named), each problem listed' },
  'POST /ops/partners/{id}/transitions': { '409': 'onboarding-gate: the unmet gates, listed in reasons' },
  'POST /ops/partners/{id}/credentials/{credentialId}/revoke': {
    '409': 'last-valid-credential (the partner’s last valid API key or certificate) or credential-rotation',
  },
  'POST /partner/credentials/{credentialId}/revoke': {
    '409': 'last-valid-credential: my last valid API key or certificate; issue a new one first',
  },
  'POST /ops/partners/{id}/api-keys': {
    '409': 'credential-rotation: the rotation asked for is not possible',
  },
  'POST /ops/partners/{id}/certificates': {
    '409': 'credential-rotation: the rotation asked for is not possible',
  },
  'POST /partner/credentials/certificates': {
    '409': 'credential-rotation: the rotation asked for is not possible',
  },
  'POST /ops/token-signing-keys/rotate': { '409': 'signing-key: a rotation is already in progress' },
  'POST /ops/token-signing-keys/{kid}/revoke': { '409': 'signing-key: the active key cannot be revoked' },
  'PATCH /ops/routing/rules/{id}': {
    '409':
      'the rule changed since you read it (If-Match / expectedVersion), or the change would duplicate a rule',
    '422': 'the change is invalid (unknown biller, account, payer type...)',
  },
  'POST /ops/routing/rules': {
    '409': 'a rule for this bill type, payer type and partner exists',
    '422': 'the rule is invalid (unknown biller, account, payer type...)',
  },
  'POST /ops/routing/rules.csv': { '422': 'the file is refused whole: every bad row reported' },
  'POST /ops/partners/{id}/floats/{currency}/fundings': {
    '422': 'the partner has no float in this currency',
  },
  'POST /ops/agents/{id}/settlements': {
    '409': 'more than the agent holds, or the reference was used otherwise',
  },
  'POST /ops/agents/{id}/suspend': { '409': 'already suspended' },
  'POST /ops/agents/{id}/reinstate': { '409': 'not suspended, or still held by a count variance' },
};

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/**
 * The OpenAPI document every HTTP lane serves at /docs-json: what the controllers declare, plus
 * the credentials each group of endpoints takes (an API key is not labelled a JWT; the mTLS lane's
 * bound JWT is its own scheme), the errors any endpoint can give (401/403, 400/415 on writes, 404
 * for a named resource, 409/422 where they apply) as problem+json, and the answers' schemas.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  let builder = new DocumentBuilder()
    .setTitle('billgate')
    .setDescription(
      'Bill-payment edge gateway: the REST lane, ISO 20022 over HTTP, the agent terminal API, the ops API, ' +
        'health and metrics. Errors are application/problem+json (RFC 9457). Money is a decimal string.',
    )
    .setVersion('1');
  for (const [name, s] of Object.entries(SCHEMES)) {
    builder = builder.addBearerAuth({ type: 'http', scheme: 'bearer', ...s }, name);
  }
  const document = SwaggerModule.createDocument(app, builder.build());
  return enrich(document);
}

function enrich(document: OpenAPIObject): OpenAPIObject {
  document.components ??= {};
  document.components.schemas = { ...document.components.schemas, Problem: schemaOf(problemSchema) as never };
  for (const path of Object.keys(document.paths)) {
    // The dashboard is HTML for people (its own session and CSRF), not an API.
    if (path.startsWith('/dashboard')) {
      delete document.paths[path];
      continue;
    }
    const item = document.paths[path] as Record<string, Record<string, unknown>>;
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const op = item[method];
      if (op === undefined) continue;
      enrichOperation(op, method.toUpperCase(), path);
    }
  }
  return document;
}

function enrichOperation(op: Record<string, unknown>, method: string, path: string): void {
  const key = `${method} ${path}`;
  const responses = (op.responses ??= {}) as Record<string, ResponseDoc & Record<string, unknown>>;
  const add = (status: string, description: string) => {
    const existing = responses[status];
    responses[status] =
      existing === undefined || (existing.content === undefined && !status.startsWith('2'))
        ? { ...problemResponse(existing?.description ?? description) }
        : existing;
  };

  const schemes = SECURITY.find(([re]) => re.test(path))?.[1];
  op.security = schemes === undefined ? [] : schemes.map((s) => ({ [s]: [] }));
  if (schemes !== undefined) {
    add('401', 'unauthenticated: no credential, or an unknown, expired or revoked one');
    add(
      '403',
      schemes.includes('opsApiKey')
        ? 'forbidden: not an ops credential, or the ops API is not served on this lane or from this address'
        : 'forbidden: a credential of another kind, a partner not live or not on this lane, or from outside its CIDRs',
    );
  }
  if (key === 'POST /ops/routing/rules.csv' && op.requestBody === undefined) {
    op.requestBody = {
      required: true,
      content: {
        'text/csv': { schema: { type: 'string', description: 'the export columns, one rule a row' } },
      },
    };
  }
  // Any body a route has no parser for is refused 415 before the handler runs (Fastify).
  const writes = method !== 'GET' && method !== 'DELETE';
  if (writes) {
    add('400', 'invalid-request: each problem named by field');
    add(
      '415',
      path.startsWith('/iso20022/')
        ? 'unsupported-media-type: send application/xml'
        : path.endsWith('/recon/files')
          ? 'unsupported-media-type: send the file as text/csv, application/xml or application/octet-stream'
          : path.endsWith('.csv')
            ? 'unsupported-media-type: send text/csv'
            : 'unsupported-media-type: send application/json',
    );
  }
  if (/\{[^}]+\}/.test(path)) add('404', 'not-found: nothing by that id');
  for (const [status, description] of Object.entries(EXTRA[key] ?? {})) add(status, description);

  const schema = RESPONSE_SCHEMAS[key];
  if (schema !== undefined) {
    const success =
      Object.keys(responses).find((s) => s.startsWith('2')) ?? (method === 'POST' ? '201' : '200');
    const existing = responses[success] ?? { description: 'OK' };
    if (existing.content === undefined) {
      responses[success] = {
        ...existing,
        description: existing.description || 'OK',
        content: { 'application/json': { schema: schemaOf(schema) } },
      };
    }
  }
}
