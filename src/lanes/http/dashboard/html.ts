/** Markup that is already safe to place in a page (escaped, or built by `html`). */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

type Interpolated =
  SafeHtml | string | number | bigint | boolean | null | undefined | readonly Interpolated[];

function render(value: Interpolated): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return (value as readonly Interpolated[]).map(render).join('');
  return escapeHtml(String(value));
}

/**
 * The dashboard's only way to make markup: every interpolated value is escaped unless it is itself
 * SafeHtml, so data from partners (references, names) can never become markup in an ops page.
 */
export function html(strings: TemplateStringsArray, ...values: Interpolated[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i += 1) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** Markup this module rendered earlier (a page fragment kept as text): placed as it is. */
export function trusted(renderedByHtml: string): SafeHtml {
  return new SafeHtml(renderedByHtml);
}

/**
 * An id shortened for a table cell. Our ids are time-ordered (UUIDv7): their first characters are the
 * same for every row of a day, so the random tail is what tells rows apart.
 */
export function shortId(id: string): string {
  return id.slice(-12);
}
