/** The PDF rendering of an invoice (pdfkit, standard Helvetica: no font files to ship). */
import PDFDocument from 'pdfkit';
import { documentTitle, summaryRows, type InvoiceDocument } from './document.ts';
import { formatMoney } from './money.ts';

const SAFE_COLOR = /^#[0-9a-fA-F]{6}$/;

export function renderInvoicePdf(doc: InvoiceDocument): Promise<Buffer> {
  const i = doc.invoice;
  const pdf = new PDFDocument({ size: 'A4', margin: 50, info: { Title: documentTitle(doc), Author: doc.branding.displayName } });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (c: Buffer) => chunks.push(c));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  const accent = SAFE_COLOR.test(doc.branding.accentColor) ? doc.branding.accentColor : '#1f4e79';
  const money = (m: bigint): string => formatMoney(m, i.currency);
  const billTo = i.billTo as { name?: string; email?: string | null; jurisdiction?: string | null; taxId?: string | null };

  pdf.fillColor(accent).font('Helvetica-Bold').fontSize(20).text(doc.branding.displayName);
  pdf.fillColor('#222222').font('Helvetica').fontSize(9).text(doc.branding.address);
  if (doc.branding.taxId) pdf.text(`Tax id ${doc.branding.taxId}`);
  pdf.moveDown();
  pdf.font('Helvetica-Bold').fontSize(14).text(documentTitle(doc));
  pdf.font('Helvetica').fontSize(9)
    .text(`Status: ${i.status}`)
    .text(`Period: ${i.periodStart} to ${i.periodEnd} (end exclusive)`);
  if (i.dueAt) pdf.text(`Due: ${i.dueAt.toISOString().slice(0, 10)}`);
  pdf.moveDown().font('Helvetica-Bold').text('Bill to').font('Helvetica').text(billTo.name ?? i.customerName);
  for (const extra of [billTo.email, billTo.jurisdiction, billTo.taxId ? `Tax id ${billTo.taxId}` : null]) if (extra) pdf.text(extra);
  pdf.moveDown();

  const columns = [{ x: 50, w: 230 }, { x: 285, w: 60 }, { x: 350, w: 95 }, { x: 450, w: 95 }];
  const row = (cells: string[], bold = false): void => {
    const y = pdf.y;
    pdf.font(bold ? 'Helvetica-Bold' : 'Helvetica');
    cells.forEach((cell, k) => pdf.text(cell, columns[k]!.x, y, { width: columns[k]!.w, align: k === 0 ? 'left' : 'right' }));
    pdf.x = 50;
    pdf.moveDown(0.3);
  };
  row(['Description', 'Quantity', 'Amount', 'Tax'], true);
  for (const l of doc.lines) {
    if (pdf.y > 740) pdf.addPage();
    const label = l.servicePeriod !== i.period ? `${l.description} (${l.servicePeriod})` : l.description;
    row([label, l.quantity, money(l.amountMicros), l.kind === 'tax' || l.taxMicros === 0n ? '' : money(l.taxMicros)]);
  }
  pdf.moveDown();
  for (const [label, amount] of summaryRows(doc)) row(['', '', label, money(amount)], label === 'Total' || label === 'Amount due');
  for (const c of doc.creditNotes) pdf.text(`Credit note (${c.kind}): ${money(c.amountMicros)}, ${c.reason}`, 50);
  if (doc.branding.footer) pdf.moveDown().fontSize(8).fillColor('#666666').text(doc.branding.footer, 50);
  pdf.end();
  return done;
}
