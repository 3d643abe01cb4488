/**
 * Writing invoices and finalizing them, inside the caller's transaction.
 *
 * `insertDrafts` inserts a batch (ON CONFLICT on (tenant, customer, period)
 * does nothing: a rerun or a resumed run creates nothing twice).
 * `finalizeDrafts` turns drafts into finalized invoices: numbers from the
 * tenant's sequence row (locked, taken in this transaction: a rollback gives
 * them back, so numbers have no gaps), the ledger transfers of the lines, the
 * attribution of what the wallet already settled, wallet credit, due date and
 * events. A finalized invoice's lines and amounts are never updated again;
 * only status and settlement columns move (payments, credit notes, overdue).
 */
import { sql } from 'drizzle-orm';
import { schema } from '../platform/postgres.ts';
import {
  createTransfers, promoWalletAccountId, receivableAccountId, revenueAccountId, TRANSFER_CODE, walletAccountId, idFromName,
  type TransferInput, type Tx,
} from '../ledger/index.ts';
import type { BuiltInvoice } from './build.ts';
import { exec } from './sql.ts';
import { emitInvoiceEvents, invoiceEvent, type InvoiceEvent } from './events.ts';
import { discountsAccountId, ensureInvoiceAccounts, INVOICE_TRANSFER_CODE, taxPayableAccountId } from './ledger-accounts.ts';

type Queryable = Tx;

const DAY_MS = 86_400_000;
const PAYMENT_TERMS_DAYS_DEFAULT = 14;

/** Inserts the drafts and their lines; returns the ids actually inserted (the others existed). */
export async function insertDrafts(tx: Queryable, built: readonly BuiltInvoice[], correlationId: string): Promise<string[]> {
  if (built.length === 0) return [];
  const inserted = await tx.insert(schema.invoices).values(built.map((b) => ({
    id: b.id, tenantId: b.tenantId, customerId: b.customerId, customerName: b.customerName, period: b.period, periodStart: b.periodStart,
    periodEnd: b.periodEnd, currency: b.currency, status: 'draft' as const, subtotalMicros: b.computed.subtotalMicros,
    discountMicros: b.computed.discountMicros, taxMicros: b.computed.taxMicros, roundingMicros: b.computed.roundingMicros,
    totalMicros: b.computed.totalMicros, balanceDueMicros: b.computed.totalMicros, correlationId, billTo: b.billTo,
  }))).onConflictDoNothing().returning({ id: schema.invoices.id });
  const ids = new Set(inserted.map((r) => r.id));
  const lines = built.filter((b) => ids.has(b.id)).flatMap((b) => b.computed.lines.map((l, position) => ({
    invoice_id: b.id, position, kind: l.kind, description: l.description, product_category: l.productCategory, service_period: l.servicePeriod,
    quantity: l.quantity, amount_micros: l.amountMicros.toString(), discount_micros: l.discountMicros.toString(), tax_micros: l.taxMicros.toString(),
    tax_rate_ppm: l.taxRatePpm, cause: l.cause,
  })));
  if (lines.length > 0) {
    // Hot path (thousands of lines per batch): one statement from a JSON array instead of a parameter per column.
    await exec(tx, sql`INSERT INTO invoice_lines (invoice_id, position, kind, description, product_category, service_period, quantity,
        amount_micros, discount_micros, tax_micros, tax_rate_ppm, cause)
      SELECT invoice_id, position, kind, description, product_category, service_period, quantity, amount_micros::bigint, discount_micros::bigint,
        tax_micros::bigint, tax_rate_ppm, cause
      FROM jsonb_to_recordset(${JSON.stringify(lines)}::jsonb) AS l(invoice_id uuid, position smallint, kind text, description text,
        product_category text, service_period text, quantity text, amount_micros text, discount_micros text, tax_micros text, tax_rate_ppm int, cause jsonb)`);
  }
  const events = built.filter((b) => ids.has(b.id)).map((b) => invoiceEvent('invoice.created', b.tenantId, b.id, b.customerId, correlationId,
    { invoiceId: b.id, period: b.period, currency: b.currency, totalMicros: b.computed.totalMicros.toString() }));
  await emitInvoiceEvents(tx, events);
  return [...ids];
}

interface DraftRow extends Record<string, unknown> {
  id: string;
  tenant_id: string;
  customer_id: string;
  currency: string;
  period: string;
  total_micros: bigint;
  correlation_id: string;
  charges: bigint;
  discounts: bigint;
  tax: bigint;
  rounding: bigint;
}

export class LedgerRefusedError extends Error {}

function assertApplied(results: readonly string[], transfers: readonly TransferInput[]): void {
  const refused = results.map((r, i) => [r, transfers[i]!] as const).filter(([r]) => r !== 'ok' && r !== 'exists');
  if (refused.length > 0) throw new LedgerRefusedError(`ledger refused: ${refused.slice(0, 5).map(([r, t]) => `${t.userData}=${r}`).join(', ')}`);
}

/** Finalizes the given drafts (others are left alone); returns the finalized ids. */
export async function finalizeDrafts(tx: Queryable, invoiceIds: readonly string[], nowMs: number = Date.now()): Promise<string[]> {
  if (invoiceIds.length === 0) return [];
  // Lock first (FOR UPDATE cannot go with GROUP BY): a concurrent finalize of the same draft waits, then finds it finalized.
  const locked = (await exec<{ id: string }>(tx, sql`SELECT id::text FROM invoices WHERE id = ANY(${sql.param([...invoiceIds])}::uuid[])
    AND status = 'draft' ORDER BY id FOR UPDATE`)).rows.map((r) => r.id);
  if (locked.length === 0) return [];
  const drafts = (await exec<DraftRow>(tx, sql`
    SELECT i.id, i.tenant_id, i.customer_id, i.currency, i.period, i.total_micros, i.correlation_id,
      coalesce(sum(l.amount_micros) FILTER (WHERE l.kind IN ('recurring', 'minimum_commitment')), 0)::bigint AS charges,
      coalesce(-sum(l.amount_micros) FILTER (WHERE l.kind = 'discount'), 0)::bigint AS discounts,
      coalesce(sum(l.amount_micros) FILTER (WHERE l.kind = 'tax'), 0)::bigint AS tax,
      coalesce(sum(l.amount_micros) FILTER (WHERE l.kind = 'rounding'), 0)::bigint AS rounding
    FROM invoices i LEFT JOIN invoice_lines l ON l.invoice_id = i.id
    WHERE i.id = ANY(${sql.param(locked)}::uuid[])
    GROUP BY i.id ORDER BY i.tenant_id, i.customer_id`)).rows;
  if (drafts.length === 0) return [];

  const numbers = await takeNumbers(tx, drafts);
  await ensureInvoiceAccounts(tx, drafts.map((d) => ({ tenantId: d.tenant_id, customerId: d.customer_id, currency: d.currency })));

  const bookings: TransferInput[] = [];
  for (const d of drafts) {
    const base = { tenantId: d.tenant_id, ledger: d.currency, userData: `invoice:${d.id}` };
    const receivable = receivableAccountId(d.tenant_id, d.customer_id, d.currency);
    const revenue = revenueAccountId(d.tenant_id, d.currency);
    const add = (what: string, debit: string, credit: string, amount: bigint, code: number): void => {
      if (amount > 0n) bookings.push({ ...base, id: idFromName(`invoice:${d.id}:${what}`), debitAccountId: debit, creditAccountId: credit, amountMicros: amount, code });
      else if (amount < 0n) bookings.push({ ...base, id: idFromName(`invoice:${d.id}:${what}`), debitAccountId: credit, creditAccountId: debit, amountMicros: -amount, code });
    };
    add('charges', receivable, revenue, d.charges, INVOICE_TRANSFER_CODE.charge);
    add('discounts', discountsAccountId(d.tenant_id, d.currency), receivable, d.discounts, INVOICE_TRANSFER_CODE.discount);
    add('tax', receivable, taxPayableAccountId(d.tenant_id, d.currency), d.tax, INVOICE_TRANSFER_CODE.tax);
    add('rounding', receivable, revenue, d.rounding, INVOICE_TRANSFER_CODE.rounding);
  }
  if (bookings.length > 0) assertApplied(await createTransfers(tx, bookings, { nowMs }), bookings);

  const settlement = await settle(tx, drafts, nowMs);
  const terms = await paymentTerms(tx, [...new Set(drafts.map((d) => d.tenant_id))]);
  const updates = drafts.map((d) => {
    const s = settlement.get(d.id)!;
    const balance = d.total_micros - s.prepaid - s.credit;
    return { id: d.id, number: numbers.get(d.id)!.number, sequence: numbers.get(d.id)!.sequence.toString(), prepaid: s.prepaid.toString(),
      credit: s.credit.toString(), balance: balance.toString(), status: balance <= 0n ? 'paid' : 'finalized',
      due_at: new Date(nowMs + (terms.get(d.tenant_id) ?? PAYMENT_TERMS_DAYS_DEFAULT) * DAY_MS).toISOString() };
  });
  await exec(tx, sql`UPDATE invoices i SET status = u.status, number = u.number, sequence = u.sequence::bigint,
      prepaid_micros = u.prepaid::bigint, credit_applied_micros = u.credit::bigint, balance_due_micros = u.balance::bigint,
      finalized_at = ${new Date(nowMs).toISOString()}::timestamptz, due_at = u.due_at::timestamptz,
      paid_at = CASE WHEN u.status = 'paid' THEN ${new Date(nowMs).toISOString()}::timestamptz END
    FROM jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) AS u(id uuid, number text, sequence text, prepaid text, credit text,
      balance text, status text, due_at text)
    WHERE i.id = u.id`);
  const events: InvoiceEvent[] = [];
  for (const d of drafts) {
    const u = updates.find((x) => x.id === d.id)!;
    const data = { invoiceId: d.id, number: u.number, period: d.period, currency: d.currency, totalMicros: d.total_micros.toString(),
      balanceDueMicros: u.balance, dueAt: u.due_at };
    events.push(invoiceEvent('invoice.finalized', d.tenant_id, d.id, d.customer_id, d.correlation_id, data));
    if (u.status === 'paid') events.push(invoiceEvent('invoice.paid', d.tenant_id, d.id, d.customer_id, d.correlation_id, data));
  }
  await emitInvoiceEvents(tx, events);
  return drafts.map((d) => d.id);
}

/** Gap-free numbers: the tenant's sequence row is locked by the UPDATE until this transaction ends. */
async function takeNumbers(tx: Queryable, drafts: readonly DraftRow[]): Promise<Map<string, { number: string; sequence: bigint }>> {
  const byTenant = new Map<string, DraftRow[]>();
  for (const d of drafts) byTenant.set(d.tenant_id, [...(byTenant.get(d.tenant_id) ?? []), d]);
  const out = new Map<string, { number: string; sequence: bigint }>();
  for (const tenantId of [...byTenant.keys()].sort()) {
    const list = byTenant.get(tenantId)!;
    await tx.insert(schema.invoiceSequences).values({ tenantId, nextNumber: 1n }).onConflictDoNothing();
    const rows = await exec<{ next_number: bigint; prefix: string | null }>(tx, sql`
      UPDATE invoice_sequences SET next_number = next_number + ${list.length} WHERE tenant_id = ${tenantId}
      RETURNING next_number, (SELECT number_prefix FROM invoice_settings WHERE tenant_id = ${tenantId}) AS prefix`);
    const first = rows.rows[0]!.next_number - BigInt(list.length);
    const prefix = rows.rows[0]!.prefix ?? 'INV-';
    list.forEach((d, i) => {
      const sequence = first + BigInt(i);
      out.set(d.id, { number: `${prefix}${sequence.toString().padStart(6, '0')}`, sequence });
    });
  }
  return out;
}

async function paymentTerms(tx: Queryable, tenantIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await exec<{ tenant_id: string; payment_terms_days: number }>(tx, sql`
    SELECT tenant_id, payment_terms_days FROM invoice_settings WHERE tenant_id = ANY(${sql.param([...tenantIds])}::text[])`);
  return new Map(rows.rows.map((r) => [r.tenant_id, r.payment_terms_days]));
}

/**
 * What is due on each invoice, from the ledger. The rater charged usage to the
 * receivable as it was rated and settled it from the wallet right away, so
 * part of the usage may be paid already. The receivable (locked here) is
 * allocated to open invoices oldest first: what this invoice can claim is the
 * receivable minus what older open invoices still claim; the rest of its
 * total was prepaid. Then wallet credit (promotional first) pays what it can.
 */
async function settle(tx: Queryable, drafts: readonly DraftRow[], nowMs: number): Promise<Map<string, { prepaid: bigint; credit: bigint }>> {
  const accountIds = drafts.flatMap((d) => [receivableAccountId(d.tenant_id, d.customer_id, d.currency),
    promoWalletAccountId(d.tenant_id, d.customer_id, d.currency), walletAccountId(d.tenant_id, d.customer_id, d.currency)]).sort();
  const accounts = await exec<{ id: string; dp: bigint; cp: bigint; dpend: bigint } & Record<string, unknown>>(tx, sql`
    SELECT id::text, debits_posted_micros AS dp, credits_posted_micros AS cp, debits_pending_micros AS dpend
    FROM ledger_accounts WHERE id = ANY(${sql.param(accountIds)}::uuid[]) ORDER BY id FOR UPDATE`);
  const byId = new Map(accounts.rows.map((a) => [a.id, a]));
  const open = await exec<{ customer_id: string; currency: string; tenant_id: string; owed: bigint } & Record<string, unknown>>(tx, sql`
    SELECT tenant_id, customer_id, currency, sum(balance_due_micros)::bigint AS owed FROM invoices
    WHERE status IN ('finalized', 'overdue') AND (tenant_id, customer_id) IN (SELECT * FROM unnest(${sql.param(drafts.map((d) => d.tenant_id))}::text[],
      ${sql.param(drafts.map((d) => d.customer_id))}::text[]))
    GROUP BY 1, 2, 3`);
  const openKey = (t: string, c: string, cur: string): string => `${t}\u0000${c}\u0000${cur}`;
  const owedByOlder = new Map(open.rows.map((r) => [openKey(r.tenant_id, r.customer_id, r.currency), r.owed]));
  const out = new Map<string, { prepaid: bigint; credit: bigint }>();
  const credits: TransferInput[] = [];
  for (const d of drafts) {
    const receivable = byId.get(receivableAccountId(d.tenant_id, d.customer_id, d.currency));
    const receivableMicros = receivable ? receivable.dp - receivable.cp : 0n;
    const unclaimed = receivableMicros - (owedByOlder.get(openKey(d.tenant_id, d.customer_id, d.currency)) ?? 0n);
    const dueBeforeCredit = d.total_micros <= 0n ? d.total_micros : unclaimed < 0n ? 0n : unclaimed < d.total_micros ? unclaimed : d.total_micros;
    const prepaid = d.total_micros - dueBeforeCredit;
    let left = dueBeforeCredit;
    let credit = 0n;
    for (const [kind, id] of [['promotional', promoWalletAccountId(d.tenant_id, d.customer_id, d.currency)], ['wallet', walletAccountId(d.tenant_id, d.customer_id, d.currency)]] as const) {
      const a = byId.get(id);
      const available = a ? a.cp - a.dp - a.dpend : 0n;
      const move = available < left ? available : left;
      if (move <= 0n) continue;
      credits.push({ id: idFromName(`invoice:${d.id}:credit:${kind}`), tenantId: d.tenant_id, ledger: d.currency, debitAccountId: id,
        creditAccountId: receivableAccountId(d.tenant_id, d.customer_id, d.currency), amountMicros: move, code: TRANSFER_CODE.walletSettlement,
        userData: `invoice:${d.id}` });
      left -= move;
      credit += move;
    }
    out.set(d.id, { prepaid, credit });
  }
  if (credits.length > 0) assertApplied(await createTransfers(tx, credits, { nowMs }), credits);
  return out;
}
