import type { CertificationReport, RecordedMessage, StepReport } from './report';

/**
 * The report as one self-contained HTML page (no scripts, no external assets), for the partner's
 * engineers and the bank's certification desk. Rendered from the same object as report.json; the
 * JSON is what is signed.
 */

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function message(label: string, m: RecordedMessage | undefined): string {
  if (m === undefined) return '';
  const rows: string[] = [];
  if (m.fields !== undefined) {
    rows.push(
      '<table class="fields">' +
        Object.entries(m.fields)
          .map(([k, v]) => `<tr><th>${esc(k)}</th><td><code>${esc(v)}</code></td></tr>`)
          .join('') +
        '</table>',
    );
  }
  if (m.headers !== undefined && Object.keys(m.headers).length > 0) {
    rows.push(
      `<pre>${esc(
        Object.entries(m.headers)
          .map(([k, v]) => `${k}: ${v}`)
          .join('\n'),
      )}</pre>`,
    );
  }
  if (m.body !== undefined && m.body !== '') rows.push(`<pre>${esc(m.body)}</pre>`);
  if (m.hex !== undefined) rows.push(`<details><summary>bytes</summary><pre>${esc(m.hex)}</pre></details>`);
  return `<div class="msg"><h5>${esc(label)}: ${esc(m.summary)}</h5>${rows.join('')}</div>`;
}

function step(s: StepReport): string {
  const assertions = s.assertions
    .map(
      (a) =>
        `<li class="${a.passed ? 'ok' : 'ko'}">${a.passed ? '✔' : '✘'} ${esc(a.description)}` +
        (a.passed ? '' : ` — expected ${esc(a.expected)}, got <code>${esc(a.actual ?? '(absent)')}</code>`) +
        '</li>',
    )
    .join('');
  const timing = s.elapsedMs !== undefined ? ` · ${s.elapsedMs} ms` : '';
  return (
    `<div class="step ${s.status}"><h4>${esc(s.id)} <span>${s.status}${timing}</span></h4>` +
    (s.description !== undefined ? `<p>${esc(s.description)}</p>` : '') +
    (s.error !== undefined ? `<p class="ko">${esc(s.error)}</p>` : '') +
    message('sent', s.sent) +
    message('received', s.received) +
    (assertions !== '' ? `<ul>${assertions}</ul>` : '') +
    '</div>'
  );
}

export function renderReportHtml(report: CertificationReport): string {
  const t = report.totals;
  const cases = report.cases
    .map(
      (c) =>
        `<section class="case ${c.status}"><h3>${esc(c.id)} — ${esc(c.title)} <span>${c.status.toUpperCase()} · ${c.elapsedMs} ms</span></h3>` +
        (c.covers !== undefined ? `<p class="covers">${esc(c.covers)}</p>` : '') +
        (c.reason !== undefined ? `<p class="reason">${esc(c.reason)}</p>` : '') +
        c.steps.map(step).join('') +
        '</section>',
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(report.suite.id)} certification report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}h1{margin:0}
.passed>h3 span,.ok{color:#176b2c}.failed>h3 span,.ko,.reason{color:#a3161b}.skipped>h3 span{color:#8a6d00}
section.case{border:1px solid #ccc;border-radius:6px;padding:0 1em 1em;margin:1em 0}
.step{border-left:3px solid #ddd;padding-left:1em;margin:.5em 0}.step.failed{border-color:#a3161b}
.step h4 span,h3 span{font-weight:normal;font-size:90%}pre{background:#f6f6f6;padding:.5em;overflow:auto}
table.fields th{text-align:right;padding-right:.5em;font-weight:normal;color:#666}ul{list-style:none;padding-left:0}
</style></head><body>
<h1>${esc(report.suite.title)}</h1>
<p>Suite <b>${esc(report.suite.id)}</b> ${esc(report.suite.version)} (sha256 <code>${esc(report.suite.sha256.slice(0, 16))}…</code>)
against <b>${esc(report.target)}</b>${report.partnerId !== undefined ? ` for partner <b>${esc(report.partnerId)}</b>` : ''}${report.laneId !== undefined ? ` on lane <b>${esc(report.laneId)}</b>` : ''},
${esc(report.startedAt)} → ${esc(report.finishedAt)}. Report ${esc(report.id)}.</p>
<h2 class="${report.result === 'passed' ? 'ok' : 'ko'}">${report.result.toUpperCase()}: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped of ${t.cases}</h2>
<p>The signed record is report.json with its detached JWS (verify with <code>billgate certify verify report.json</code>); this page is a reading copy.</p>
${cases}
</body></html>
`;
}
