import type { OpsSession } from '../../../domain/ops-users/ops-users';
import type { ReconBreak } from '../../../domain/recon/breaks.repository';
import { breakPage, breaksPage, pastSla } from './breaks-page';

const NOW = new Date('2030-06-01T12:00:00Z');
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000);

function session(role: 'operator' | 'viewer'): OpsSession {
  return {
    user: { username: `ops.${role}`, displayName: role, role },
    csrfToken: 'csrf',
    expiresAt: NOW,
  };
}

function brk(id: string, o: Partial<ReconBreak> = {}): ReconBreak {
  return {
    id: `00000000-0000-7000-8000-${id.padStart(12, '0')}`,
    businessDate: '2030-06-01',
    key: id,
    code: 'B3',
    owner: 'partner-ops',
    partnerId: 'demo-mfs',
    billerId: 'sim-electricity',
    paymentId: null,
    currency: 'KWD',
    amountMinor: 1234567n,
    summary: 'amount mismatch <script>alert(1)</script>',
    evidence: {
      ours: { amountMinor: '1234567', currency: 'KWD', status: 'OK' },
      biller: { amountMinor: '1234000', currency: 'KWD', status: 'OK' },
      disagreements: [{ side: 'biller', field: 'amount', ours: '1234.567', theirs: '1234.000' }],
    },
    state: 'open',
    assignee: null,
    resolutionCode: null,
    journalEntryId: null,
    raisedAt: hoursAgo(1),
    lastRunId: null,
    updatedAt: NOW,
    resolvedAt: null,
    resolvedBy: null,
    clearedAt: null,
    ...o,
  };
}

describe('the breaks pages', () => {
  it('colours an open break past 4 hours, and not one younger or already resolved', () => {
    const late = brk('1', { raisedAt: hoursAgo(5) });
    const young = brk('2', { raisedAt: hoursAgo(3) });
    const done = brk('3', { raisedAt: hoursAgo(9), state: 'resolved', resolvedAt: hoursAgo(1) });
    expect([late, young, done].map((b) => pastSla(b, NOW))).toEqual([true, false, false]);
    const page = breaksPage(
      session('viewer'),
      { businessDate: '2030-06-01' },
      [late, young, done],
      [late, young, done],
      NOW,
    );
    expect(page).toMatch(/<tr id="break-[^"]*000000000001" class="late"/);
    expect(page).toMatch(/<tr id="break-[^"]*000000000002" class=""/);
    expect(page).toMatch(/<tr id="break-[^"]*000000000003" class=""/);
    expect(page).toContain('past 4 h');
  });

  it('shows amounts at the currency’s own precision and escapes what sources wrote', () => {
    const page = breakPage(session('operator'), brk('4'), [], [], NOW);
    // KWD has three decimals: 1234567 minor units are 1234.567, never rounded through a float.
    expect(page).toContain('1234.567 KWD');
    expect(page).toContain('1234.000 KWD');
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('&lt;script&gt;');
    expect(page).toMatch(/data-side="biller"\s+data-field="amount"\s+class="mismatch/);
    expect(page).toContain('id="resolve-form"');
  });

  it('gives a viewer no forms to work a break with', () => {
    const page = breakPage(session('viewer'), brk('5'), [], [], NOW);
    expect(page).not.toContain('data-action="/dashboard/api/recon');
    expect(page).toContain('can look at breaks but not work them');
  });
});
