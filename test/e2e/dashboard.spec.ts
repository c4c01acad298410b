import { request } from 'undici';
import { call } from '../support/http';
import { OPS, pay, payBody } from '../support/payments';
import { startTestGateway, type TestGateway } from '../support/gateway';

/*
 * The ops dashboard over the gateway's real HTTP lane, as a browser would use it: a session cookie
 * from sign-in, the CSRF token from the page, JSON posts from the page's script.
 */

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

async function signIn(username: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const res = await call<{ csrfToken: string }>(gw.httpUrl, 'POST', '/dashboard/session', {
    body: { username, password },
  });
  expect(res.status).toBe(200);
  const setCookie = String(res.headers['set-cookie']);
  return { cookie: setCookie.split(';')[0]!, csrf: res.body.csrfToken };
}

function page(path: string, cookie?: string) {
  return call(gw.httpUrl, 'GET', path, { headers: cookie === undefined ? {} : { cookie } });
}

describe('signing in', () => {
  it('refuses a wrong password and sets nothing', async () => {
    const res = await call(gw.httpUrl, 'POST', '/dashboard/session', {
      body: { username: 'ops.operator', password: 'not-the-password' },
    });
    expect(res.status).toBe(401);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('gives an HttpOnly, SameSite=Strict session cookie scoped to the dashboard', async () => {
    const res = await call(gw.httpUrl, 'POST', '/dashboard/session', {
      body: { username: 'ops.operator', password: 'operator-demo-pass' },
    });
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^billgate_ops_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/dashboard');
    // The plain loopback lane is not TLS: Secure would make the browser drop the cookie.
    expect(cookie).not.toContain('Secure');
  });

  it('sends a visitor without a session to the sign-in page', async () => {
    const res = await page('/dashboard');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/dashboard/sign-in');
    expect((await page('/dashboard/sign-in')).text).toContain('<form id="sign-in"');
  });

  it('ends the session on sign-out', async () => {
    const s = await signIn('ops.viewer', 'viewer-demo-pass');
    const out = await call(gw.httpUrl, 'POST', '/dashboard/sign-out', {
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
    });
    expect(out.status).toBe(200);
    expect((await page('/dashboard', s.cookie)).status).toBe(303);
  });
});

describe('the pages', () => {
  it('show today’s traffic, a payment found by its reference, and its story with journals', async () => {
    const s = await signIn('ops.viewer', 'viewer-demo-pass');
    const ref = `dash-${Date.now()}`;
    const paid = await pay(gw.httpUrl, payBody({ partnerReference: ref, amount: '1250.50' }));
    expect(paid.body.status).toBe('APPROVED');

    const today = await page('/dashboard', s.cookie);
    expect(today.status).toBe(200);
    expect(today.headers['content-security-policy']).toContain("default-src 'self'");
    expect(today.text).toMatch(/<dd data-figure="approved">[1-9]\d*<\/dd>/);
    expect(today.text).toContain('aria-label="Payments per minute by lane and protocol');

    const found = await page(`/dashboard/payments?q=${ref}`, s.cookie);
    expect(found.text).toContain(String(paid.body.id));
    expect(found.text).toContain('1250.50 BDT');

    const story = await page(`/dashboard/payments/${String(paid.body.id)}`, s.cookie);
    expect(story.text).toContain('APPROVED');
    expect(story.text).toMatch(/<table class="journal">/);
    expect(story.text).toContain('id="route-why"');
  });

  it('escapes what partners send: a reference with markup stays text', async () => {
    const s = await signIn('ops.viewer', 'viewer-demo-pass');
    const ref = '<img src=x onerror=alert(1)>';
    const paid = await pay(gw.httpUrl, payBody({ partnerReference: ref }));
    expect(paid.status).toBe(201);
    const story = await page(`/dashboard/payments/${String(paid.body.id)}`, s.cookie);
    expect(story.text).not.toContain('<img src=x');
    expect(story.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('list partners with their onboarding state and lanes, and the routing table', async () => {
    const s = await signIn('ops.viewer', 'viewer-demo-pass');
    const partners = await page('/dashboard/partners', s.cookie);
    expect(partners.text).toContain('id="partner-demo-mfs"');
    expect(partners.text).toMatch(/Onboarding state: <strong>live<\/strong>/);
    const routing = await page('/dashboard/routing?q=ELECTRICITY', s.cookie);
    expect(routing.text).toMatch(/<caption>\s*\d+ of \d+ rules\s*<\/caption>/);
    // A viewer sees no change forms.
    expect(routing.text).not.toContain('class="flip"');
  });
});

describe('changing a route from the dashboard', () => {
  async function firstRule(): Promise<{ id: string; version: number; enabled: boolean }> {
    const rules = await call<{
      items: { id: string; version: number; enabled: boolean; billType: string }[];
    }>(gw.httpUrl, 'GET', '/ops/routing/rules', { key: OPS });
    const rule = rules.body.items.find((r) => r.billType === 'WATER') ?? rules.body.items[0]!;
    return rule;
  }

  it('refuses a request without the session’s CSRF token, and changes nothing', async () => {
    const s = await signIn('ops.operator', 'operator-demo-pass');
    const rule = await firstRule();
    const res = await call(gw.httpUrl, 'POST', `/dashboard/api/routing/rules/${rule.id}`, {
      headers: { cookie: s.cookie },
      body: { enabled: String(!rule.enabled), reason: 'maintenance window' },
    });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ type: expect.stringContaining('csrf-token-invalid') });
    expect((await firstRule()).version).toBe(rule.version);
  });

  it('refuses a viewer, and changes nothing', async () => {
    const s = await signIn('ops.viewer', 'viewer-demo-pass');
    const rule = await firstRule();
    const res = await call(gw.httpUrl, 'POST', `/dashboard/api/routing/rules/${rule.id}`, {
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
      body: { enabled: String(!rule.enabled), reason: 'maintenance window' },
    });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ title: expect.stringContaining('viewer') });
    expect((await firstRule()).version).toBe(rule.version);
  });

  it('requires a reason, then flips the rule and attributes the audit entry to the user', async () => {
    const s = await signIn('ops.operator', 'operator-demo-pass');
    const rule = await firstRule();
    const headers = { cookie: s.cookie, 'x-csrf-token': s.csrf };
    const noReason = await call(gw.httpUrl, 'POST', `/dashboard/api/routing/rules/${rule.id}`, {
      headers,
      body: { enabled: String(!rule.enabled), reason: '' },
    });
    expect(noReason.status).toBe(400);
    expect(noReason.body).toMatchObject({ errors: [expect.objectContaining({ field: 'reason' })] });

    const dry = await call<{ examined: number }>(gw.httpUrl, 'POST', '/dashboard/api/routing/dry-run', {
      headers,
      body: { id: rule.id, enabled: String(!rule.enabled) },
    });
    expect(dry.status).toBe(200);
    expect(typeof dry.body.examined).toBe('number');

    const flipped = await call(gw.httpUrl, 'POST', `/dashboard/api/routing/rules/${rule.id}`, {
      headers,
      body: {
        enabled: String(!rule.enabled),
        reason: 'biller maintenance tonight',
        expectedVersion: rule.version,
      },
    });
    expect(flipped.status).toBe(200);
    expect((await firstRule()).enabled).toBe(!rule.enabled);

    const audit = await page(`/dashboard/routing/audit?ruleId=${rule.id}`, s.cookie);
    expect(audit.text).toContain('ops-user:ops.operator');
    expect(audit.text).toContain('biller maintenance tonight');
    expect(audit.text).toContain('Chain intact');
  });
});

describe('the live feed', () => {
  it('streams today’s figures over server-sent events, and counts a new payment', async () => {
    const s = await signIn('ops.viewer', 'viewer-demo-pass');
    const res = await request(`${gw.httpUrl}/dashboard/live`, { headers: { cookie: s.cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    const events: string[] = [];
    let buffer = '';
    const done = (async () => {
      for await (const chunk of res.body) {
        buffer += (chunk as Buffer).toString('utf8');
        let i: number;
        while ((i = buffer.indexOf('\n\n')) !== -1) {
          events.push(buffer.slice(0, i));
          buffer = buffer.slice(i + 2);
        }
        if (events.filter((e) => e.startsWith('event: traffic')).length >= 2) break;
      }
    })();
    await pay(gw.httpUrl, payBody());
    await done;
    res.body.destroy();
    const last = events.filter((e) => e.startsWith('event: traffic')).at(-1)!;
    const data = JSON.parse(
      last
        .split('\n')
        .find((l) => l.startsWith('data: '))!
        .slice(6),
    ) as {
      fragments: Record<string, string>;
    };
    expect(Object.keys(data.fragments)).toEqual(
      expect.arrayContaining(['traffic-chart', 'figures', 'waiting', 'approval-ring', 'declines-chart']),
    );
    expect(data.fragments.figures).toMatch(/data-figure="total">[1-9]/);
  });

  it('is refused without a session', async () => {
    const res = await call(gw.httpUrl, 'GET', '/dashboard/live');
    expect(res.status).toBe(401);
  });
});
