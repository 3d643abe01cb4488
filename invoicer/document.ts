/** Everything an invoice document shows, read once (the invoice, its lines, the tenant's branding, payments, credit notes). */
import { asc, eq, sql } from 'drizzle-orm';
import { schema, type Database } from '../platform/postgres.ts';

export interface InvoiceDocument {
  invoice: typeof schema.invoices.$inferSelect;
  lines: (typeof schema.invoiceLines.$inferSelect)[];
  branding: { displayName: string; address: string; taxId: string; accentColor: string; footer: string };
  payments: (typeof schema.invoicePayments.$inferSelect)[];
  creditNotes: (typeof schema.creditNotes.$inferSelect)[];
}

export async function loadInvoiceDocument(db: Database, tenantId: string, invoiceId: string): Promise<InvoiceDocument | undefined> {
  const [invoice] = await db.select().from(schema.invoices).where(sql`${schema.invoices.id} = ${invoiceId} AND ${schema.invoices.tenantId} = ${tenantId}`);
  if (!invoice) return undefined;
  const [lines, settings, payments, creditNotes] = await Promise.all([
    db.select().from(schema.invoiceLines).where(eq(schema.invoiceLines.invoiceId, invoiceId)).orderBy(asc(schema.invoiceLines.position)),
    db.select().from(schema.invoiceSettings).where(eq(schema.invoiceSettings.tenantId, tenantId)),
    db.select().from(schema.invoicePayments).where(eq(schema.invoicePayments.invoiceId, invoiceId)).orderBy(asc(schema.invoicePayments.receivedAt)),
    db.select().from(schema.creditNotes).where(eq(schema.creditNotes.invoiceId, invoiceId)),
  ]);
  const s = settings[0];
  return {
    invoice, lines, payments, creditNotes,
    branding: { displayName: s?.displayName ?? tenantId, address: s?.address ?? '', taxId: s?.taxId ?? '', accentColor: s?.accentColor ?? '#1f4e79', footer: s?.footer ?? '' },
  };
}

/** The summary rows every rendering shows, in order (label, amount micros). */
export function summaryRows(doc: InvoiceDocument): [string, bigint][] {
  const i = doc.invoice;
  const rows: [string, bigint][] = [['Subtotal', i.subtotalMicros], ['Tax', i.taxMicros]];
  if (i.roundingMicros !== 0n) rows.push(['Rounding', i.roundingMicros]);
  rows.push(['Total', i.totalMicros]);
  if (i.prepaidMicros !== 0n) rows.push(['Prepaid usage (wallet)', -i.prepaidMicros]);
  if (i.creditAppliedMicros !== 0n) rows.push(['Wallet credit applied', -i.creditAppliedMicros]);
  if (i.paidMicros !== 0n) rows.push(['Payments', -i.paidMicros]);
  if (i.creditedMicros !== 0n) rows.push(['Credit notes', -i.creditedMicros]);
  rows.push(['Amount due', i.balanceDueMicros]);
  return rows;
}

export function documentTitle(doc: InvoiceDocument): string {
  const i = doc.invoice;
  return i.number ? `Invoice ${i.number}` : `Draft invoice ${i.period}`;
}
