import { ChainVerifier, GENESIS_HASH, canonicalJson, hashEntry, type AuditEntry } from './audit-chain';

function chain(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i += 1) {
    const content = {
      seq: BigInt(i),
      at: new Date(Date.UTC(2026, 10, 23, 10, 0, i)),
      actor: 'ops-demo',
      action: 'update' as const,
      ruleId: '01900000-0000-7000-8000-000000000001',
      reason: `change ${i}`,
      before: { enabled: true, version: i },
      after: { version: i + 1, enabled: false },
      scheduledChangeId: null,
      prevHash: prev,
    };
    const entry = { ...content, hash: hashEntry(content) };
    out.push(entry);
    prev = entry.hash;
  }
  return out;
}

function verify(
  entries: AuditEntry[],
  head = { seq: BigInt(entries.length), hash: entries.at(-1)?.hash ?? GENESIS_HASH },
) {
  const v = new ChainVerifier();
  for (const e of entries) v.push(e);
  return v.finish(head);
}

describe('audit hash chain', () => {
  it('serialises canonically: key order and whitespace do not matter', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: null } })).toBe('{"a":{"c":null,"d":[1,"x"]},"b":1}');
    const e = chain(1)[0]!;
    expect(hashEntry({ ...e, after: { enabled: false, version: 2 } })).toBe(e.hash);
  });

  it('an untouched chain is intact', () => {
    const entries = chain(5);
    expect(verify(entries)).toEqual({ intact: true, checked: 5, headSeq: 5 });
    expect(verify([], { seq: 0n, hash: GENESIS_HASH })).toEqual({ intact: true, checked: 0, headSeq: 0 });
  });

  it('an altered entry breaks at that entry', () => {
    const entries = chain(5);
    entries[2] = { ...entries[2]!, reason: 'nothing to see' };
    expect(verify(entries)).toMatchObject({ intact: false, firstBrokenAt: 3, problem: 'hash-mismatch' });
  });

  it('an altered entry with a recomputed hash breaks at the next entry', () => {
    const entries = chain(5);
    const forged = { ...entries[2]!, reason: 'forged' };
    entries[2] = { ...forged, hash: hashEntry(forged) };
    expect(verify(entries)).toMatchObject({ intact: false, firstBrokenAt: 4, problem: 'chain-mismatch' });
  });

  it('a removed entry is a gap; removed newest entries disagree with the head', () => {
    const entries = chain(5);
    const head = { seq: 5n, hash: entries[4]!.hash };
    expect(verify([...entries.slice(0, 2), ...entries.slice(3)], head)).toMatchObject({
      intact: false,
      firstBrokenAt: 3,
      problem: 'gap',
    });
    expect(verify(entries.slice(0, 4), head)).toMatchObject({
      intact: false,
      firstBrokenAt: 5,
      problem: 'truncated',
    });
    expect(verify(entries.slice(1), head)).toMatchObject({ intact: false, firstBrokenAt: 1, problem: 'gap' });
  });
});
