/**
 * Invoice lifecycle after creation: draft → finalized → paid | void | overdue.
 * Payments (partial, over: the rest to the wallet), voids with a credit note,
 * and the overdue sweep. Every money movement is a ledger transfer in the
 * same transaction as the invoice change and its events; transfer ids derive
 * from the cause, so a retry moves nothing twice.
 */
import { sql } from 'drizzle-orm';
import { schema, type Database } from '../platform/postgres.ts';
import {
  clearingAccountId, createTransfers, idFromName, inTransactionWithRetry, receivableAccountId, revenueAccountId, walletAccountId, type TransferInput, type Tx,
} from '../ledger/index.ts';
import { emitInvoiceEvents, invoiceEvent } from './events.ts';
import { discountsAccountId, ensureInvoiceAccounts, INVOICE_TRANSFER_CODE, taxPayableAccountId } from './ledger-accounts.ts';
import { divideHalfEven } from './money.ts';
import { exec } from './sql.ts';
import { finalizeDrafts, LedgerRefusedError } from './store.ts';

export type InvoiceRow = typeof schema.invoices.$inferSelect;

/** A refusal with a stable code (schemas/errors.ts) for the HTTP and CLI layers. */
export class InvoiceError extends Error {
  constructor(readonly code: 'TG_NOT_FOUND' | 'TG_INVOICE_STATE' | 'TG_INVOICE_FIELD_INVALID' | 'TG_PAYMENT_CONFLICT', message: string,
    readonly field?: string) {
    super(message);
  }
}

async function lockInvoice(tx: Tx, tenantId: string, invoiceId: string): Promise<InvoiceRow> {
  const rows = await tx.select().from(schema.invoices)
    .where(sql`${schema.invoices.id} = ${invoiceId} AND ${schema.invoices.tenantId} = ${tenantId}`).for('update');
  if (!rows[0]) throw new InvoiceError('TG_NOT_FOUND', `no invoice ${invoiceId}`);
  return rows[0];
}

function applyTransfers(results: readonly string[], transfers: readonly TransferInput[]): void {
  const refused = results.map((r, i) => [r, transfers[i]!] as const).filter(([r]) => r !== 'ok' && r !== 'exists');
  if (refused.length > 0) throw new LedgerRefusedError(`ledger refused: ${refused.map(([r, t]) => `${t.userData}=${r}`).join(', ')}`);
}

export async function finalizeInvoice(db: Database, tenantId: string, invoiceId: string, nowMs = Date.now()): Promise<InvoiceRow> {
  return inTransactionWithRetry(db, async (tx) => {
    const invoice = await lockInvoice(tx, tenantId, invoiceId);
    if (invoice.status !== 'draft') throw new InvoiceError('TG_INVOICE_STATE', `invoice is ${invoice.status}; only a draft can be finalized`);
    await finalizeDrafts(tx, [invoiceId], nowMs);
    return lockInvoice(tx, tenantId, invoiceId);
  });
}

export interface PaymentInput {
  tenantId: string;
  invoiceId: string;
  amountMicros: bigint;
  method: string;
  externalReference: string;
  providerEventId?: string;
  nowMs?: number;
}

export interface PaymentResult {
  paymentId: string;
  /** False when this payment (same method and reference, or provider event id) was recorded before. */
  created: boolean;
  appliedMicros: bigint;
  overpaidMicros: bigint;
  invoice: InvoiceRow;
}

/**
 * Records a payment: clearing → receivable for what the invoice still owes,
 * clearing → wallet for the rest (overpayment becomes prepaid credit).
 * Idempotent by (method, external reference) and by provider event id.
 */
export async function recordPayment(db: Database, input: PaymentInput): Promise<PaymentResult> {
  if (input.amountMicros <= 0n) throw new InvoiceError('TG_INVOICE_FIELD_INVALID', 'a payment amount must be positive', 'amountMicros');
  if (!input.method || !input.externalReference) throw new InvoiceError('TG_INVOICE_FIELD_INVALID', 'method and externalReference are required', 'externalReference');
  const paymentId = idFromName(`payment:${input.tenantId}:${input.method}:${input.externalReference}`);
  return inTransactionWithRetry(db, async (tx) => {
    const invoice = await lockInvoice(tx, input.tenantId, input.invoiceId);
    const prior = await tx.select().from(schema.invoicePayments).where(sql`${schema.invoicePayments.id} = ${paymentId}
      OR (${input.providerEventId ?? null}::text IS NOT NULL AND ${schema.invoicePayments.providerEventId} = ${input.providerEventId ?? null})`);
    if (prior[0]) {
      const p = prior[0];
      if (p.invoiceId !== invoice.id || p.amountMicros !== input.amountMicros) {
        throw new InvoiceError('TG_PAYMENT_CONFLICT', `payment ${p.externalReference} was recorded before with another invoice or amount`);
      }
      return { paymentId: p.id, created: false, appliedMicros: p.appliedMicros, overpaidMicros: p.overpaidMicros, invoice };
    }
    if (invoice.status === 'draft' || invoice.status === 'void') {
      throw new InvoiceError('TG_INVOICE_STATE', `invoice is ${invoice.status}; payments are recorded against finalized invoices`);
    }
    const due = invoice.balanceDueMicros > 0n ? invoice.balanceDueMicros : 0n;
    const applied = input.amountMicros < due ? input.amountMicros : due;
    const overpaid = input.amountMicros - applied;
    const key = { tenantId: invoice.tenantId, customerId: invoice.customerId, currency: invoice.currency };
    await ensureInvoiceAccounts(tx, [key]);
    const base = { tenantId: invoice.tenantId, ledger: invoice.currency, userData: `payment:${paymentId}` };
    const transfers: TransferInput[] = [];
    if (applied > 0n) {
      transfers.push({ ...base, id: idFromName(`${paymentId}:applied`), debitAccountId: clearingAccountId(key.tenantId, key.currency),
        creditAccountId: receivableAccountId(key.tenantId, key.customerId, key.currency), amountMicros: applied, code: INVOICE_TRANSFER_CODE.payment });
    }
    if (overpaid > 0n) {
      transfers.push({ ...base, id: idFromName(`${paymentId}:overpaid`), debitAccountId: clearingAccountId(key.tenantId, key.currency),
        creditAccountId: walletAccountId(key.tenantId, key.customerId, key.currency), amountMicros: overpaid, code: INVOICE_TRANSFER_CODE.overpayment });
    }
    applyTransfers(await createTransfers(tx, transfers, { nowMs: input.nowMs }), transfers);
    await tx.insert(schema.invoicePayments).values({ id: paymentId, tenantId: invoice.tenantId, invoiceId: invoice.id, amountMicros: input.amountMicros,
      appliedMicros: applied, overpaidMicros: overpaid, method: input.method, externalReference: input.externalReference,
      providerEventId: input.providerEventId ?? null, receivedAt: new Date(input.nowMs ?? Date.now()) });
    const balance = invoice.balanceDueMicros - applied;
    const paid = balance <= 0n;
    await exec(tx, sql`UPDATE invoices SET paid_micros = paid_micros + ${applied}, balance_due_micros = ${balance},
      status = ${paid ? 'paid' : invoice.status}, paid_at = ${paid ? new Date(input.nowMs ?? Date.now()).toISOString() : null}::timestamptz
      WHERE id = ${invoice.id}`);
    const data = { invoiceId: invoice.id, number: invoice.number, paymentId, amountMicros: input.amountMicros.toString(), appliedMicros: applied.toString(),
      overpaidMicros: overpaid.toString(), balanceDueMicros: balance.toString(), method: input.method, externalReference: input.externalReference };
    const events = [invoiceEvent('payment.received', invoice.tenantId, invoice.id, invoice.customerId, invoice.correlationId, data, paymentId)];
    if (paid) events.push(invoiceEvent('invoice.paid', invoice.tenantId, invoice.id, invoice.customerId, invoice.correlationId, data));
    await emitInvoiceEvents(tx, events);
    return { paymentId, created: true, appliedMicros: applied, overpaidMicros: overpaid, invoice: await lockInvoice(tx, invoice.tenantId, invoice.id) };
  });
}

/**
 * Voids a finalized or overdue invoice without payments, by a credit note for
 * its whole total: revenue, discounts and tax are reversed, and what the
 * wallet had settled (prepaid usage, credit applied) goes back to the wallet.
 * A draft is voided without a credit note (nothing was booked).
 */
export async function voidInvoice(db: Database, tenantId: string, invoiceId: string, reason: string, nowMs = Date.now()): Promise<InvoiceRow> {
  return inTransactionWithRetry(db, async (tx) => {
    const invoice = await lockInvoice(tx, tenantId, invoiceId);
    if (invoice.status === 'void') return invoice;
    if (invoice.status === 'paid' || invoice.paidMicros > 0n) {
      throw new InvoiceError('TG_INVOICE_STATE', 'an invoice with payments is not voided; refund it with a credit note instead');
    }
    if (invoice.status !== 'draft') {
      const t = invoice.tenantId;
      const c = invoice.currency;
      const receivable = receivableAccountId(t, invoice.customerId, c);
      const base = { tenantId: t, ledger: c, userData: `credit-note:${invoice.id}` };
      const revenueMicros = invoice.totalMicros - invoice.taxMicros - invoice.discountMicros;
      const settled = invoice.prepaidMicros + invoice.creditAppliedMicros;
      const transfers: TransferInput[] = [];
      const push = (what: string, debit: string, credit: string, amount: bigint, code: number): void => {
        if (amount > 0n) transfers.push({ ...base, id: idFromName(`credit-note:${invoice.id}:${what}`), debitAccountId: debit, creditAccountId: credit, amountMicros: amount, code });
      };
      push('revenue', revenueAccountId(t, c), receivable, revenueMicros, INVOICE_TRANSFER_CODE.creditNote);
      push('discounts', receivable, discountsAccountId(t, c), -invoice.discountMicros, INVOICE_TRANSFER_CODE.creditNote);
      push('tax', taxPayableAccountId(t, c), receivable, invoice.taxMicros, INVOICE_TRANSFER_CODE.creditNoteTax);
      push('settled', receivable, walletAccountId(t, invoice.customerId, c), settled, INVOICE_TRANSFER_CODE.creditNoteRefund);
      await ensureInvoiceAccounts(tx, [{ tenantId: t, customerId: invoice.customerId, currency: c }]);
      applyTransfers(await createTransfers(tx, transfers, { nowMs }), transfers);
      await tx.insert(schema.creditNotes).values({ id: idFromName(`credit-note:${invoice.id}`), tenantId: t, invoiceId: invoice.id, kind: 'void',
        amountMicros: invoice.totalMicros, taxMicros: invoice.taxMicros, reason, createdAt: new Date(nowMs) });
    }
    await exec(tx, sql`UPDATE invoices SET status = 'void', voided_at = ${new Date(nowMs).toISOString()}::timestamptz,
      credited_micros = CASE WHEN status = 'draft' THEN 0 ELSE total_micros END, balance_due_micros = 0 WHERE id = ${invoice.id}`);
    await emitInvoiceEvents(tx, [invoiceEvent('invoice.voided', invoice.tenantId, invoice.id, invoice.customerId, invoice.correlationId,
      { invoiceId: invoice.id, number: invoice.number, reason, creditedMicros: invoice.status === 'draft' ? '0' : invoice.totalMicros.toString() })]);
    return lockInvoice(tx, tenantId, invoiceId);
  });
}

export interface RefundInput {
  tenantId: string;
  invoiceId: string;
  amountMicros: bigint;
  reason: string;
  /** `wallet`: credit back to the customer's wallet; `payment`: money back out through payments clearing. */
  destination: 'wallet' | 'payment';
  /** The caller's reference; the same reference refunds once. */
  reference: string;
  nowMs?: number;
}

/**
 * Refunds part or all of what was paid on an invoice, by a credit note: the
 * amount is split into revenue and tax in the invoice's proportion
 * (half-even), both reversed to the receivable, and the amount leaves the
 * receivable to the wallet or back out through payments clearing.
 */
export async function refundInvoice(db: Database, input: RefundInput): Promise<{ creditNoteId: string; created: boolean; taxMicros: bigint; invoice: InvoiceRow }> {
  if (input.amountMicros <= 0n) throw new InvoiceError('TG_INVOICE_FIELD_INVALID', 'a refund amount must be positive', 'amountMicros');
  const creditNoteId = idFromName(`refund:${input.tenantId}:${input.invoiceId}:${input.reference}`);
  return inTransactionWithRetry(db, async (tx) => {
    const invoice = await lockInvoice(tx, input.tenantId, input.invoiceId);
    const [prior] = await tx.select().from(schema.creditNotes).where(sql`${schema.creditNotes.id} = ${creditNoteId}`);
    if (prior) {
      if (prior.amountMicros !== input.amountMicros) throw new InvoiceError('TG_PAYMENT_CONFLICT', `refund ${input.reference} was made before with another amount`);
      return { creditNoteId, created: false, taxMicros: prior.taxMicros, invoice };
    }
    const refundable = invoice.paidMicros + invoice.prepaidMicros + invoice.creditAppliedMicros - invoice.creditedMicros;
    if (invoice.status === 'draft' || invoice.status === 'void') throw new InvoiceError('TG_INVOICE_STATE', `invoice is ${invoice.status}; nothing to refund`);
    if (input.amountMicros > refundable) {
      throw new InvoiceError('TG_INVOICE_FIELD_INVALID', `at most ${refundable} micros were settled and not yet refunded`, 'amountMicros');
    }
    const taxMicros = invoice.totalMicros > 0n ? divideHalfEven(input.amountMicros * invoice.taxMicros, invoice.totalMicros) : 0n;
    const tn = invoice.tenantId;
    const c = invoice.currency;
    const receivable = receivableAccountId(tn, invoice.customerId, c);
    const base = { tenantId: tn, ledger: c, userData: `credit-note:${creditNoteId}` };
    const transfers: TransferInput[] = [];
    const push = (what: string, debit: string, credit: string, amount: bigint, code: number): void => {
      if (amount > 0n) transfers.push({ ...base, id: idFromName(`${creditNoteId}:${what}`), debitAccountId: debit, creditAccountId: credit, amountMicros: amount, code });
    };
    push('revenue', revenueAccountId(tn, c), receivable, input.amountMicros - taxMicros, INVOICE_TRANSFER_CODE.creditNote);
    push('tax', taxPayableAccountId(tn, c), receivable, taxMicros, INVOICE_TRANSFER_CODE.creditNoteTax);
    push('out', receivable, input.destination === 'wallet' ? walletAccountId(tn, invoice.customerId, c) : clearingAccountId(tn, c), input.amountMicros,
      INVOICE_TRANSFER_CODE.creditNoteRefund);
    await ensureInvoiceAccounts(tx, [{ tenantId: tn, customerId: invoice.customerId, currency: c }]);
    applyTransfers(await createTransfers(tx, transfers, { nowMs: input.nowMs }), transfers);
    await tx.insert(schema.creditNotes).values({ id: creditNoteId, tenantId: tn, invoiceId: invoice.id, kind: 'refund', amountMicros: input.amountMicros,
      taxMicros, reason: input.reason, createdAt: new Date(input.nowMs ?? Date.now()) });
    await exec(tx, sql`UPDATE invoices SET credited_micros = credited_micros + ${input.amountMicros} WHERE id = ${invoice.id}`);
    return { creditNoteId, created: true, taxMicros, invoice: await lockInvoice(tx, tn, invoice.id) };
  });
}

/** Marks finalized invoices past their due date with something still due as overdue (batches of `limit`, one tenant or all); returns how many. */
export async function sweepOverdue(db: Database, nowMs = Date.now(), options: { tenantId?: string; limit?: number } = {}): Promise<number> {
  const limit = options.limit ?? 1000;
  const tenantFilter = options.tenantId === undefined ? sql`` : sql`AND tenant_id = ${options.tenantId}`;
  let total = 0;
  for (;;) {
    const marked = await db.transaction(async (tx) => {
      const rows = await exec<{ id: string; tenant_id: string; customer_id: string; number: string; correlation_id: string; balance_due_micros: bigint; due_at: Date }>(tx, sql`
        UPDATE invoices SET status = 'overdue' WHERE id IN (
          SELECT id FROM invoices WHERE status = 'finalized' AND due_at < ${new Date(nowMs).toISOString()}::timestamptz AND balance_due_micros > 0 ${tenantFilter}
          ORDER BY due_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING id, tenant_id, customer_id, number, correlation_id, balance_due_micros, due_at`);
      await emitInvoiceEvents(tx, rows.rows.map((r) => invoiceEvent('invoice.overdue', r.tenant_id, r.id, r.customer_id, r.correlation_id,
        { invoiceId: r.id, number: r.number, balanceDueMicros: r.balance_due_micros.toString(), dueAt: new Date(r.due_at).toISOString() })));
      return rows.rows.length;
    });
    total += marked;
    if (marked < limit) return total;
  }
}
