import type { MinuteBucket } from '../../../domain/ops-views/live-traffic';
import { html, type SafeHtml } from './html';

/*
 * Charts drawn on the server as SVG: no chart library to keep up to date, the same markup for the
 * live page and for the specs, and every bar carries a <title> and the chart an accessible label.
 */

const PALETTE = ['#1f6feb', '#2da44e', '#bf8700', '#cf222e', '#8250df', '#1b7c83', '#953800', '#57606a'];

/** Payments per minute, stacked by lane/protocol, over the snapshot's window. */
export function perMinuteChart(buckets: readonly MinuteBucket[], windowMinutes: number, now: Date): SafeHtml {
  const width = 720;
  const height = 180;
  const end = Math.floor(now.getTime() / 60_000) * 60_000;
  const minutes = Array.from({ length: windowMinutes }, (_, i) => end - (windowMinutes - 1 - i) * 60_000);
  const seriesNames = [...new Set(buckets.map((b) => `${b.lane}/${b.protocol}`))].sort();
  const byMinute = new Map<number, Map<string, number>>();
  for (const b of buckets) {
    const t = new Date(b.minute).getTime();
    const m = byMinute.get(t) ?? new Map<string, number>();
    m.set(`${b.lane}/${b.protocol}`, (m.get(`${b.lane}/${b.protocol}`) ?? 0) + b.payments);
    byMinute.set(t, m);
  }
  const max = Math.max(
    1,
    ...minutes.map((t) => [...(byMinute.get(t)?.values() ?? [])].reduce((a, b) => a + b, 0)),
  );
  const barWidth = width / windowMinutes;
  const bars: SafeHtml[] = [];
  minutes.forEach((t, i) => {
    let y = height;
    for (const [s, name] of seriesNames.entries()) {
      const n = byMinute.get(t)?.get(name) ?? 0;
      if (n === 0) continue;
      const h = (n / max) * (height - 10);
      y -= h;
      const label = `${new Date(t).toISOString().slice(11, 16)} UTC ${name}: ${n}`;
      bars.push(
        html`<rect
          x="${(i * barWidth + 1).toFixed(1)}"
          y="${y.toFixed(1)}"
          width="${(barWidth - 2).toFixed(1)}"
          height="${h.toFixed(1)}"
          fill="${PALETTE[s % PALETTE.length]}"
          ><title>${label}</title></rect
        >`,
      );
    }
  });
  const legend = seriesNames.map(
    (name, s) =>
      html`<li>
        <svg class="swatch" width="10" height="10" aria-hidden="true">
          <rect width="10" height="10" fill="${PALETTE[s % PALETTE.length]}" /></svg
        >${name}
      </li>`,
  );
  return html`<figure class="chart">
    <svg
      viewBox="0 0 ${width} ${height}"
      role="img"
      aria-label="Payments per minute by lane and protocol, last ${windowMinutes} minutes, peak ${max} per minute"
    >
      <line x1="0" y1="${height}" x2="${width}" y2="${height}" class="axis" />
      ${bars}
    </svg>
    <figcaption>Payments per minute, last ${windowMinutes} min (peak ${max}/min)</figcaption>
    <ul class="legend">
      ${legend}
    </ul>
  </figure>`;
}

/** Horizontal bars for counts by label (declines by reason). */
export function barList(items: readonly { label: string; count: number }[], caption: string): SafeHtml {
  if (items.length === 0) return html`<p class="empty">${caption}: none</p>`;
  const max = Math.max(1, ...items.map((i) => i.count));
  const rowHeight = 22;
  const width = 360;
  const labelWidth = 170;
  const rows = items.map((item, i) => {
    const w = ((width - labelWidth - 40) * item.count) / max;
    const y = i * rowHeight;
    return html`<g
      ><text x="0" y="${y + 15}" class="label">${item.label}</text
      ><rect x="${labelWidth}" y="${y + 4}" width="${w.toFixed(1)}" height="14" fill="#cf222e"
        ><title>${item.label}: ${item.count}</title></rect
      ><text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 15}" class="value">${item.count}</text></g
    >`;
  });
  return html`<figure class="chart">
    <svg viewBox="0 0 ${width} ${items.length * rowHeight}" role="img" aria-label="${caption}">${rows}</svg>
    <figcaption>${caption}</figcaption>
  </figure>`;
}

/** A ring showing a share (approval rate). */
export function ring(share: number | null, caption: string): SafeHtml {
  const r = 40;
  const c = 2 * Math.PI * r;
  const value = share === null ? 0 : Math.max(0, Math.min(1, share));
  const text = share === null ? '—' : `${(value * 100).toFixed(1)}%`;
  return html`<figure class="chart ring">
    <svg viewBox="0 0 100 100" role="img" aria-label="${caption}: ${text}">
      <circle cx="50" cy="50" r="${r}" class="ring-bg" />
      <circle
        cx="50"
        cy="50"
        r="${r}"
        class="ring-fg"
        stroke-dasharray="${(value * c).toFixed(2)} ${c.toFixed(2)}"
        transform="rotate(-90 50 50)"
      />
      <text x="50" y="55" text-anchor="middle">${text}</text>
    </svg>
    <figcaption>${caption}</figcaption>
  </figure>`;
}

/** Share of a limit used, in tenths of a percent, from minor units (bigint arithmetic, no float). */
export function permilleOf(usedMinor: bigint, limitMinor: bigint): number {
  if (limitMinor <= 0n) return usedMinor > 0n ? 1000 : 0;
  const p = (usedMinor * 1000n) / limitMinor;
  return Number(p < 0n ? 0n : p);
}

/**
 * A cash limit's use as a bar: green up to 80%, amber to the limit, red past it (a breach found at
 * sync). The figures are in the label and beside the bar, so the colour is never the only signal.
 */
export function limitBar(usedMinor: bigint, limitMinor: bigint, label: string): SafeHtml {
  const width = 160;
  const permille = permilleOf(usedMinor, limitMinor);
  const shown = Math.min(permille, 1000);
  const tone = permille > 1000 ? 'over' : permille >= 800 ? 'high' : 'ok';
  const percent = `${Math.floor(permille / 10)}.${permille % 10}%`;
  return html`<svg
    class="limit-bar ${tone}"
    width="${width}"
    height="14"
    viewBox="0 0 ${width} 14"
    role="img"
    aria-label="${label}: ${percent} of the limit"
    data-permille="${permille}"
    preserveAspectRatio="none"
  >
    <rect class="track" x="0" y="0" width="${width}" height="14" rx="3" />
    <rect class="used" x="0" y="0" width="${((width * shown) / 1000).toFixed(1)}" height="14" rx="3" />
  </svg>`;
}
