import { canonicalJson, fingerprint } from './fingerprint';

describe('the idempotency fingerprint', () => {
  it('fingerprints the canonical content: key order does not matter, values do', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 2 }] } })).toBe(
      '{"a":{"c":[3,{"e":2,"f":1}],"d":2},"b":1}',
    );
    expect(fingerprint({ a: 1, b: 2 })).toBe(fingerprint({ b: 2, a: 1 }));
    expect(fingerprint({ a: '1.50' })).not.toBe(fingerprint({ a: '1.5' }));
  });

  it('leaves out undefined fields, as JSON does, and keeps nulls', () => {
    expect(fingerprint({ a: 1, b: undefined })).toBe(fingerprint({ a: 1 }));
    expect(fingerprint({ a: 1, b: null })).not.toBe(fingerprint({ a: 1 }));
    expect(fingerprint({ a: 1 })).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
