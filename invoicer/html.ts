/** The HTML rendering of an invoice (self-contained: inline styles, no scripts, every text escaped). */
import { documentTitle, summaryRows, type InvoiceDocument } from './document.ts';
import { formatMoney } from './money.ts';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const SAFE_COLOR = /^#[0-9a-fA-F]{3,8}$/;

export function renderInvoiceHtml(doc: InvoiceDocument): string {
  const i = doc.invoice;
  const money = (m: bigint): string => escapeHtml(formatMoney(m, i.currency));
  const accent = SAFE_COLOR.test(doc.branding.accentColor) ? doc.branding.accentColor : '#1f4e79';
  const billTo = i.billTo as { name?: string; email?: string | null; jurisdiction?: string | null; taxId?: string | null };
  const lines = doc.lines.map((l) => `<tr><td>${escapeHtml(l.description)}${l.servicePeriod !== i.period ? ` <small>(${escapeHtml(l.servicePeriod)})</small>` : ''}</td>
<td>${escapeHtml(l.kind.replace('_', ' '))}</td><td class="n">${escapeHtml(l.quantity)}</td><td class="n">${money(l.amountMicros)}</td>
<td class="n">${l.taxRatePpm ? `${(l.taxRatePpm / 10_000).toFixed(2)}%` : ''}</td><td class="n">${l.kind === 'tax' ? '' : money(l.taxMicros)}</td></tr>`).join('\n');
  const summary = summaryRows(doc).map(([label, amount]) => `<tr><th>${escapeHtml(label)}</th><td class="n">${money(amount)}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(documentTitle(doc))}</title>
<style>body{font-family:Helvetica,Arial,sans-serif;color:#222;margin:40px}h1{color:${accent}}table{border-collapse:collapse;width:100%}
td,th{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left}.n{text-align:right}.summary{width:40%;margin-left:auto}</style></head>
<body>
<header><h1>${escapeHtml(doc.branding.displayName)}</h1><p>${escapeHtml(doc.branding.address)}${doc.branding.taxId ? `<br>Tax id ${escapeHtml(doc.branding.taxId)}` : ''}</p></header>
<h2>${escapeHtml(documentTitle(doc))}</h2>
<p>Status: ${escapeHtml(i.status)}<br>Period: ${escapeHtml(i.periodStart)} – ${escapeHtml(i.periodEnd)} (end exclusive)${i.dueAt ? `<br>Due: ${escapeHtml(i.dueAt.toISOString().slice(0, 10))}` : ''}</p>
<p>Bill to: ${escapeHtml(billTo.name ?? i.customerName)}${billTo.email ? `<br>${escapeHtml(billTo.email)}` : ''}${billTo.jurisdiction ? `<br>${escapeHtml(billTo.jurisdiction)}` : ''}${billTo.taxId ? `<br>Tax id ${escapeHtml(billTo.taxId)}` : ''}</p>
<table><thead><tr><th>Description</th><th>Kind</th><th class="n">Quantity</th><th class="n">Amount</th><th class="n">Tax rate</th><th class="n">Tax</th></tr></thead>
<tbody>
${lines}
</tbody></table>
<table class="summary">${summary}</table>
${doc.creditNotes.map((c) => `<p>Credit note (${escapeHtml(c.kind)}): ${money(c.amountMicros)} — ${escapeHtml(c.reason)}</p>`).join('\n')}
<footer><p>${escapeHtml(doc.branding.footer)}</p></footer>
</body></html>
`;
}
