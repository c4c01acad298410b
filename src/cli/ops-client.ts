import { request } from 'undici';

/**
 * A CLI command's way to a running gateway: its ops API, over HTTP, with an ops key. The gateway is
 * `--gateway URL` (or BILLGATE_GATEWAY_URL, default http://127.0.0.1:$HTTP_PORT), the key
 * `--ops-key` (or BILLGATE_OPS_KEY).
 */

export interface OpsTarget {
  readonly url: string;
  readonly key: string;
}

export function opsTarget(flags: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv): OpsTarget | string {
  const url = (
    flags.get('--gateway') ??
    env.BILLGATE_GATEWAY_URL ??
    `http://127.0.0.1:${env.HTTP_PORT ?? '8080'}`
  ).replace(/\/+$/, '');
  const key = flags.get('--ops-key') ?? env.BILLGATE_OPS_KEY;
  if (key === undefined) return 'an ops key: --ops-key or BILLGATE_OPS_KEY';
  return { url, key };
}

export async function opsCall<T>(
  t: OpsTarget,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await request(t.url + path, {
    method,
    headers: {
      authorization: `Bearer ${t.key}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.body.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.statusCode, body: parsed as T };
}

/** --flag value pairs (a flag named in `booleans` takes none). */
export function parseFlags(
  args: readonly string[],
  booleans: ReadonlySet<string> = new Set(),
): { flags: Map<string, string>; positional: string[] } | string {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    if (booleans.has(a)) {
      flags.set(a, 'true');
      continue;
    }
    const v = args[++i];
    if (v === undefined) return `${a} needs a value`;
    flags.set(a, v);
  }
  return { flags, positional };
}
