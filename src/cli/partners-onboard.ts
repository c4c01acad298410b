import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { canonicalJson } from '../domain/audit/hash-chain';
import { schedulesSchema, type Schedules } from '../domain/partners/onboarding';
import { partnerDeclarationShape } from '../domain/partners/partner-declaration';
import { createCsr } from '../lanes/security/pki/issue';
import { opsCall, type OpsTarget } from './ops-client';

/**
 * `billgate partners onboard partner.yaml`: one command from a partner's file to a partner ready for
 * its certification run, through a running gateway's ops API (the gateway owns its database, so the
 * command never opens a DATA_DIR a gateway holds): the draft partner with its schedules, its lanes'
 * allowlists, its credentials (an API key, a webhook secret, and its development client certificate:
 * a key made here, its CSR signed by the gateway's CA), then what is left to do (each gate still
 * unmet on the way to live). Every step looks first and writes only what is missing or different,
 * so running it again changes nothing. Secrets shown once by the gateway are written to files
 * (0600) in the output directory, never printed.
 */

export const partnerFileSchema = z.strictObject({
  ...partnerDeclarationShape,
  lanes: z
    .array(z.strictObject({ laneId: z.string().min(1), cidrs: z.array(z.string().min(1)).min(1) }))
    .default([]),
  credentials: z
    .strictObject({
      apiKey: z.boolean().default(true),
      webhookSecret: z.boolean().default(false),
      /** Its development client certificate, for the public mTLS lane: key made here, CSR signed by the gateway. */
      certificate: z.boolean().default(false),
    })
    .default({ apiKey: true, webhookSecret: false, certificate: false }),
});
export type PartnerFile = z.infer<typeof partnerFileSchema>;

export class PartnerFileError extends Error {}

export function readPartnerFile(path: string): PartnerFile {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new PartnerFileError(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = partnerFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new PartnerFileError(
      `${path}: not a valid partner file:\n  ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('\n  ')}`,
    );
  }
  return parsed.data;
}

interface PartnerView {
  status: string;
  schedules: Schedules;
  lanes: { laneId: string; cidrs: string[] }[];
}

interface Problem {
  title?: string;
  detail?: string;
  reasons?: string[];
  errors?: { field: string; message: string }[];
}

export class OpsRefused extends Error {}

function refused(what: string, status: number, body: unknown): OpsRefused {
  const p = (typeof body === 'object' && body !== null ? body : {}) as Problem;
  const detail = [
    p.detail ?? p.title ?? JSON.stringify(body),
    ...(p.reasons ?? []),
    ...(p.errors ?? []).map((e) => `${e.field}: ${e.message}`),
  ].join('; ');
  return new OpsRefused(`${what}: HTTP ${status} ${detail}`);
}

function writeSecret(dir: string, name: string, value: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

const SUITE_FOR: Record<string, string> = {
  'rest-json': 'client-rest',
  iso8583: 'client-iso8583-ascii87',
  iso20022: 'client-iso20022',
};

export async function onboardPartner(p: PartnerFile, t: OpsTarget, outDir: string): Promise<string[]> {
  const out: string[] = [];
  const id = encodeURIComponent(p.id);
  const get = () => opsCall<PartnerView>(t, 'GET', `/ops/partners/${id}`);

  // The partner and its schedules.
  let current = await get();
  if (current.status === 404) {
    const created = await opsCall(t, 'POST', '/ops/partners', {
      id: p.id,
      name: p.name,
      kind: p.kind,
      payerTypes: p.payerTypes,
      ...(p.schedules !== undefined ? { schedules: p.schedules } : {}),
    });
    if (created.status !== 201) throw refused(`creating ${p.id}`, created.status, created.body);
    out.push(`partner ${p.id} (${p.kind}, ${p.payerTypes.join(', ')}): created in draft`);
    if (p.schedules !== undefined) out.push(`schedules: set (${Object.keys(p.schedules).join(', ')})`);
    current = await get();
  } else if (current.status === 200) {
    out.push(`partner ${p.id}: exists (${current.body.status})`);
    if (p.schedules !== undefined) {
      const declared = schedulesSchema.parse(p.schedules);
      const patch = Object.fromEntries(
        (['msa', 'technical', 'operational'] as const)
          .filter((k) => declared[k] !== undefined)
          .filter((k) => canonicalJson(declared[k]) !== canonicalJson(current.body.schedules[k] ?? null))
          .map((k) => [k, declared[k]]),
      );
      if (Object.keys(patch).length === 0) {
        out.push('schedules: unchanged');
      } else {
        const put = await opsCall(t, 'PUT', `/ops/partners/${id}/schedules`, patch);
        if (put.status !== 200) throw refused('replacing the schedules', put.status, put.body);
        out.push(`schedules: replaced ${Object.keys(patch).join(', ')}`);
      }
    }
  } else {
    throw refused(`reading ${p.id}`, current.status, current.body);
  }

  // Lanes: each CIDR the file names that the partner is not allowed from yet.
  for (const lane of p.lanes) {
    const have = new Set(current.body.lanes.find((l) => l.laneId === lane.laneId)?.cidrs ?? []);
    const missing = lane.cidrs.filter((c) => !have.has(c));
    if (missing.length === 0) {
      out.push(`lane ${lane.laneId}: already allowed from ${lane.cidrs.join(', ')}`);
      continue;
    }
    const r = await opsCall(t, 'POST', `/ops/partners/${id}/lanes`, { laneId: lane.laneId, cidrs: missing });
    if (r.status !== 200) throw refused(`lane ${lane.laneId}`, r.status, r.body);
    out.push(`lane ${lane.laneId}: allowed from ${missing.join(', ')}`);
  }

  // Credentials: issued only when the partner has none acceptable of that kind.
  const creds = await opsCall<{ credentials: { kind: string; status: string; hint?: string }[] }>(
    t,
    'GET',
    `/ops/partners/${id}/credentials`,
  );
  if (creds.status !== 200) throw refused('reading the credentials', creds.status, creds.body);
  const has = (kind: string) =>
    creds.body.credentials.some(
      (c) => c.kind === kind && (c.status === 'ACCEPTABLE' || c.status === 'NOT_YET_VALID'),
    );
  const dir = resolve(outDir);
  if (p.credentials.apiKey) {
    if (has('api-key')) out.push('api key: the partner has one');
    else {
      const r = await opsCall<{ key: string }>(t, 'POST', `/ops/partners/${id}/api-keys`, { rotate: false });
      if (r.status !== 201) throw refused('issuing the API key', r.status, r.body);
      out.push(
        `api key: issued → ${writeSecret(dir, 'api-key', r.body.key)} (shown once: hand it to the partner)`,
      );
    }
  }
  if (p.credentials.webhookSecret) {
    if (has('webhook-secret')) out.push('webhook secret: the partner has one');
    else {
      const r = await opsCall<{ secret: string }>(t, 'POST', `/ops/partners/${id}/webhook-secrets`, {
        rotate: false,
      });
      if (r.status !== 201) throw refused('issuing the webhook secret', r.status, r.body);
      out.push(`webhook secret: issued → ${writeSecret(dir, 'webhook-secret', r.body.secret)}`);
    }
  }
  if (p.credentials.certificate) {
    if (has('client-certificate')) out.push('client certificate: the partner has one');
    else {
      const { csrPem, keyPem } = createCsr({ commonName: p.id, organisation: p.name });
      const r = await opsCall<{ certPem: string }>(t, 'POST', `/ops/partners/${id}/certificates`, {
        csrPem,
        rotate: false,
      });
      if (r.status === 201) {
        const key = writeSecret(dir, `${p.id}.key`, keyPem.trim());
        const crt = writeSecret(dir, `${p.id}.crt`, r.body.certPem.trim());
        out.push(`client certificate: issued by the gateway's CA → ${crt}, key ${key}`);
      } else {
        out.push(`client certificate: not issued (${refused('', r.status, r.body).message.slice(2)})`);
      }
    }
  }

  // What is left.
  const gates = await opsCall<{ state: string; steps: { to: string; ready: boolean; unmet: string[] }[] }>(
    t,
    'GET',
    `/ops/partners/${id}/gates`,
  );
  if (gates.status !== 200) throw refused('reading the gates', gates.status, gates.body);
  if (gates.body.steps.length === 0) {
    out.push(`left to do: nothing, ${p.id} is ${gates.body.state}`);
    return out;
  }
  out.push(`left to do (${p.id} is ${gates.body.state}):`);
  for (const s of gates.body.steps) {
    out.push(
      s.ready
        ? `  → ${s.to}: ready (POST /ops/partners/${p.id}/transitions {"to":"${s.to}","reason":"…"})`
        : `  → ${s.to}: ${s.unmet.join('; ')}`,
    );
  }
  const endpoints = p.schedules?.technical?.endpoints ?? [];
  for (const e of endpoints) {
    out.push(
      `  certify ${e.protocol} on lane ${e.lane}: billgate certify serve --suite ${SUITE_FOR[e.protocol] ?? 'client-rest'} --partner ${p.id} --kind ${p.kind} --lane ${e.lane} --sign-via ${t.url}` +
        `, then POST /ops/partners/${p.id}/certification/reports {report, jws, reason}`,
    );
  }
  return out;
}
