import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { Iso8583SpecError, isDialectFile, resolveDialect } from '../protocols/iso8583';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PAYER_TYPES } from '../domain/reason-codes';
import { billerDeclarationSchema, type BillerDeclaration } from '../domain/billers/biller-admin';
import { schedulesSchema, type Schedules } from '../domain/partners/onboarding';
import {
  PARTNER_ID,
  partnerDeclarationSchema,
  type PartnerDeclaration,
} from '../domain/partners/partner-declaration';
import { demoLanes, type LaneDefinition } from './lane-config';
import { parseCidr } from './security/network/cidr';

/**
 * Lanes from the BILLGATE_CONFIG YAML file, validated as a whole: every problem is listed at once.
 * `${NAME}` and `${NAME:-default}` in string values are replaced from the environment first, so one
 * file serves several nodes (e.g. `port: "${MTLS_PORT:-8443}"`, quoted as YAML needs).
 *
 *   lanes:
 *     - id: public-mtls
 *       kind: public-mtls            # mpls | ipsec | public-mtls
 *       protocol: http               # http | iso8583
 *       listener: { host: 0.0.0.0, port: 8443 }
 *       tls: mutual                  # off | server | mutual
 *       tlsFiles: { cert: /etc/billgate/server.crt, key: /etc/billgate/server.key, ca: /etc/billgate/partners-ca.crt }
 *       partners:
 *         - id: acme-pay
 *           cidrs: [203.0.113.0/28]
 *
 * `partners`, `schedules` and `billers` declare records the gateway applies to its database at
 * start-up (see parseConfigDeclarations and bootstrap/config-declarations.ts).
 */

export class LaneConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid lane configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'LaneConfigError';
  }
}

const cidr = z.string().superRefine((value, ctx) => {
  try {
    parseCidr(value);
  } catch (e: unknown) {
    ctx.addIssue({
      code: 'custom',
      message: `bad CIDR ${JSON.stringify(value)}: ${e instanceof Error ? e.message : String(e)}`,
    });
  }
});

const partnerSchema = z
  .strictObject({
    id: z.string().regex(PARTNER_ID).optional(),
    partnerId: z.string().regex(PARTNER_ID).optional(),
    cidrs: z.array(cidr).min(1),
    acquirers: z
      .array(z.string().regex(/^\d{1,11}$/))
      .min(1)
      .optional(),
  })
  .refine((p) => (p.id ?? p.partnerId) !== undefined, 'a partner needs an id');

const laneSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  kind: z.enum(['mpls', 'ipsec', 'public-mtls']),
  protocol: z.enum(['http', 'iso8583']),
  listener: z.strictObject({
    host: z.string().min(1),
    port: z.coerce.number().int().min(0).max(65535),
  }),
  tls: z.preprocess((v) => (v === false ? 'off' : v), z.enum(['off', 'server', 'mutual'])),
  tlsFiles: z
    .strictObject({ cert: z.string().min(1), key: z.string().min(1), ca: z.string().min(1).optional() })
    .optional(),
  opsCidrs: z.array(cidr).optional(),
  payerTypes: z.array(z.enum(PAYER_TYPES)).min(1).optional(),
  partners: z.array(partnerSchema),
  iso8583: z
    .strictObject({
      dialect: z.string().min(1).default('ascii87'),
      // Unset: the dialect's conventions.framing (see parseLaneConfig).
      lengthHeader: z.enum(['binary2', 'ascii4']).optional(),
      tpdu: z.boolean().optional(),
      maxFrameSize: z.number().int().min(64).max(65535).default(8192),
      incompleteFrameTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
    })
    .optional(),
});

const fileSchema = z.looseObject({ lanes: z.array(laneSchema).min(1) }).superRefine((file, ctx) => {
  const ids = new Set<string>();
  const listeners = new Set<string>();
  file.lanes.forEach((lane, i) => {
    const at = (field: string) => ['lanes', i, field];
    if (ids.has(lane.id))
      ctx.addIssue({ code: 'custom', path: at('id'), message: `duplicate lane id ${lane.id}` });
    ids.add(lane.id);
    const listener = `${lane.listener.host}:${lane.listener.port}`;
    if (lane.listener.port !== 0 && listeners.has(listener)) {
      ctx.addIssue({ code: 'custom', path: at('listener'), message: `listener ${listener} is used twice` });
    }
    listeners.add(listener);
    if (lane.kind === 'public-mtls' && (lane.tls !== 'mutual' || lane.protocol !== 'http')) {
      ctx.addIssue({
        code: 'custom',
        path: at('tls'),
        message: 'a public-mtls lane is HTTP with tls: mutual',
      });
    }
    if (lane.kind === 'public-mtls' && (lane.opsCidrs?.length ?? 0) > 0) {
      ctx.addIssue({
        code: 'custom',
        path: at('opsCidrs'),
        message: 'the ops API is not served on a public-mtls lane',
      });
    }
    if (lane.tls === 'mutual' && lane.tlsFiles !== undefined && lane.tlsFiles.ca === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: at('tlsFiles'),
        message: 'tls: mutual needs the partners CA (tlsFiles.ca)',
      });
    }
    const seen = new Set<string>();
    lane.partners.forEach((p, j) => {
      const id = p.id ?? p.partnerId ?? '';
      if (seen.has(id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['lanes', i, 'partners', j],
          message: `partner ${id} is listed twice`,
        });
      }
      seen.add(id);
    });
  });
});

export type LaneConfigFile = z.infer<typeof fileSchema>;

const PLACEHOLDER = /\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}/g;

function substitute(value: unknown, env: Record<string, string | undefined>, problems: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER, (_m, name: string, fallback: string | undefined) => {
      const v = env[name] ?? fallback;
      if (v === undefined) {
        problems.push(`\${${name}} is not set`);
        return '';
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, env, problems));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, env, problems)]));
  }
  return value;
}

/** Parses and validates the YAML text; throws LaneConfigError listing every problem. */
export function parseLaneConfig(
  text: string,
  env: Record<string, string | undefined> = process.env,
  /** Where relative paths in the file (a partner's dialect file) are resolved from. */
  baseDir: string = process.cwd(),
): LaneDefinition[] {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e: unknown) {
    throw new LaneConfigError([`not valid YAML: ${e instanceof Error ? e.message : String(e)}`]);
  }
  const problems: string[] = [];
  const substituted = substitute(raw, env, problems);
  if (problems.length > 0) throw new LaneConfigError(problems);
  const parsed = fileSchema.safeParse(substituted);
  if (!parsed.success) {
    throw new LaneConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`),
    );
  }
  // A dialect is a built-in name or a partner's file: resolve files from the config's directory and
  // load every dialect now, so a bad one stops the gateway at start-up with its file named.
  const dialectProblems: string[] = [];
  const framings = new Map<number, { lengthHeader: 'binary2' | 'ascii4'; tpdu: boolean }>();
  parsed.data.lanes.forEach((lane, i) => {
    if (lane.iso8583 === undefined) return;
    const ref = lane.iso8583.dialect;
    if (isDialectFile(ref)) lane.iso8583.dialect = resolvePath(baseDir, ref);
    try {
      const dialect = resolveDialect(lane.iso8583.dialect);
      const framing = dialect.conventions.framing;
      // A partner's dialect file describes its link: the lane may repeat its framing, not contradict it.
      for (const key of ['lengthHeader', 'tpdu'] as const) {
        const own = lane.iso8583[key];
        if (dialect.fromFile && own !== undefined && own !== framing[key]) {
          dialectProblems.push(
            `lanes.${i}.iso8583.${key}: ${String(own)}, but dialect file ${lane.iso8583.dialect} has ` +
              `conventions.framing.${key}: ${String(framing[key])}; set it in one place`,
          );
        }
      }
      framings.set(i, {
        lengthHeader: lane.iso8583.lengthHeader ?? framing.lengthHeader,
        tpdu: lane.iso8583.tpdu ?? framing.tpdu,
      });
    } catch (e: unknown) {
      const detail = e instanceof Iso8583SpecError ? e.message : String(e);
      dialectProblems.push(`lanes.${i}.iso8583.dialect: ${detail}`);
    }
  });
  if (dialectProblems.length > 0) throw new LaneConfigError(dialectProblems);
  return parsed.data.lanes.map((lane, i): LaneDefinition => ({
    id: lane.id,
    kind: lane.kind,
    protocol: lane.protocol,
    listener: lane.listener,
    tls: lane.tls,
    partners: lane.partners.map((p) => ({
      partnerId: p.id ?? p.partnerId ?? '',
      cidrs: p.cidrs,
      ...(p.acquirers !== undefined ? { acquirers: p.acquirers } : {}),
    })),
    ...(lane.opsCidrs !== undefined ? { opsCidrs: lane.opsCidrs } : {}),
    ...(lane.tlsFiles !== undefined ? { tlsFiles: lane.tlsFiles } : {}),
    ...(lane.payerTypes !== undefined ? { payerTypes: lane.payerTypes } : {}),
    ...(lane.protocol === 'iso8583'
      ? {
          iso8583: (lane.iso8583 !== undefined ? { ...lane.iso8583, ...framings.get(i)! } : undefined) ?? {
            dialect: 'ascii87',
            lengthHeader: 'binary2',
            tpdu: false,
            maxFrameSize: 8192,
            incompleteFrameTimeoutMs: 10_000,
          },
        }
      : {}),
  }));
}

export function loadLaneConfigFile(
  path: string,
  env: Record<string, string | undefined> = process.env,
): LaneDefinition[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e: unknown) {
    throw new LaneConfigError([`BILLGATE_CONFIG ${path}: ${e instanceof Error ? e.message : String(e)}`]);
  }
  return parseLaneConfig(text, env, dirname(resolvePath(path)));
}

/** The lanes a gateway runs: the BILLGATE_CONFIG file, else the embedded demo's, else none. */
export function resolveLanes(config: {
  readonly configFile: string | undefined;
  readonly demoData: boolean;
  readonly http: { readonly host: string; readonly port: number };
  readonly iso8583Port: number;
  readonly mtlsPort: number;
}): LaneDefinition[] {
  if (config.configFile !== undefined) return loadLaneConfigFile(config.configFile);
  if (!config.demoData) return [];
  return demoLanes(
    { http: config.http.port, iso8583: config.iso8583Port, mtls: config.mtlsPort },
    config.http.host,
  );
}

/**
 * What BILLGATE_CONFIG declares besides lanes, applied to the database at every start (idempotently):
 *
 *   partners:
 *     - { id: acme-pay, name: Acme Pay, kind: aggregator, payerTypes: [wallet-aggregator], schedules: {…} }
 *   schedules:                 # or per partner, under partners[].schedules (not both)
 *     acme-pay: { msa: {…}, technical: {…}, operational: {…} }
 *   billers:
 *     - { id: desco, name: DESCO, billType: ELECTRICITY, url: https://…, timeoutMs: 3000 }
 */
export interface ConfigDeclarations {
  readonly partners: readonly PartnerDeclaration[];
  /** Schedules for partners the file does not declare (they must exist already). */
  readonly schedules: ReadonlyMap<string, Schedules>;
  readonly billers: readonly BillerDeclaration[];
}

const declarationsSchema = z
  .looseObject({
    partners: z.array(partnerDeclarationSchema).default([]),
    schedules: z.record(z.string().regex(PARTNER_ID), schedulesSchema).default({}),
    billers: z.array(billerDeclarationSchema).default([]),
  })
  .superRefine((d, ctx) => {
    const seen = new Set<string>();
    d.partners.forEach((p, i) => {
      if (seen.has(p.id))
        ctx.addIssue({ code: 'custom', path: ['partners', i, 'id'], message: `partner ${p.id} twice` });
      seen.add(p.id);
      if (p.schedules !== undefined && d.schedules[p.id] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['schedules', p.id],
          message: `partner ${p.id} has schedules in two places (partners[].schedules and schedules)`,
        });
      }
    });
    const billers = new Set<string>();
    d.billers.forEach((b, i) => {
      if (billers.has(b.id))
        ctx.addIssue({ code: 'custom', path: ['billers', i, 'id'], message: `biller ${b.id} twice` });
      billers.add(b.id);
    });
  });

export function parseConfigDeclarations(
  text: string,
  env: Record<string, string | undefined> = process.env,
): ConfigDeclarations {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e: unknown) {
    throw new LaneConfigError([`not valid YAML: ${e instanceof Error ? e.message : String(e)}`]);
  }
  const problems: string[] = [];
  const substituted = substitute(raw, env, problems);
  if (problems.length > 0) throw new LaneConfigError(problems);
  const parsed = declarationsSchema.safeParse(substituted ?? {});
  if (!parsed.success) {
    throw new LaneConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`),
    );
  }
  const declared = new Set(parsed.data.partners.map((p) => p.id));
  return {
    partners: parsed.data.partners.map((p) => {
      const schedules = p.schedules ?? parsed.data.schedules[p.id];
      return schedules === undefined ? p : { ...p, schedules };
    }),
    schedules: new Map(Object.entries(parsed.data.schedules).filter(([id]) => !declared.has(id))),
    billers: parsed.data.billers,
  };
}

export function loadConfigDeclarations(
  path: string,
  env: Record<string, string | undefined> = process.env,
): ConfigDeclarations {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e: unknown) {
    throw new LaneConfigError([`BILLGATE_CONFIG ${path}: ${e instanceof Error ? e.message : String(e)}`]);
  }
  return parseConfigDeclarations(text, env);
}
