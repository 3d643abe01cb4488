/**
 * Operator and customer actions on one voucher: sell, activate (first login),
 * disable, transfer, refund, resend. Each runs in one transaction: lock the
 * voucher (`FOR UPDATE`), ask the state machine, book the ledger movement it
 * names, update the voucher, write the audit row (and the outbox row for a
 * resend). A refusal at any step rolls all of it back.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { idFromName, type Tx } from '../index.ts';
import { schema, type Database } from '../../platform/postgres.ts';
import { bookMovement, payerAccountId, type Booking } from './accounts.ts';
import { ok, refused, type VoucherResult } from './errors.ts';
import { voucherMetrics } from './metrics.ts';
import { maskRecipient, type PaymentMethod, type Recipient } from './inputs.ts';
import { sessionLimits, type SessionLimits } from './session-limits.ts';
import { decide, type ActionFacts, type VoucherAction } from './state-machine.ts';
import {
  customerInTenant, factsOf, inTransaction, lockVoucher, recordEvents, toView,
  type VoucherContext, type VoucherRef, type VoucherRow, type VoucherView,
} from './store.ts';

export interface ActionOutcome {
  voucher: VoucherView;
  /** false when the action's effect already held (a retry): nothing was written. */
  changed: boolean;
  /** The ledger transfer this action booked (or found already booked), if any. */
  transferId: string | null;
}

/** How one action differs from the others: the facts it knows and the columns it sets. */
interface ActionPlan {
  facts?: ActionFacts;
  /** The account that pays, for a sale. */
  payerAccountId?: string;
  patch?: Partial<typeof schema.vouchers.$inferInsert>;
  detail?: Record<string, unknown>;
  recipient?: Recipient;
  outboxId?: string;
}

type Planner = (tx: Tx, row: VoucherRow, now: Date) => Promise<VoucherResult<ActionPlan>>;

async function applyAction(db: Database, ctx: VoucherContext, ref: VoucherRef, action: VoucherAction, plan: Planner): Promise<VoucherResult<ActionOutcome>> {
  const now = ctx.now ?? new Date();
  const result = await inTransaction(db, async (tx): Promise<VoucherResult<ActionOutcome>> => {
    const row = await lockVoucher(tx, ctx.tenantId, ref);
    if (!row) return refused('TG_VOUCHER_NOT_FOUND');
    const planned = await plan(tx, row, now);
    if (!planned.ok) return planned;
    const p = planned.value;
    const decision = decide(factsOf(row), action, p.facts);
    if (!decision.ok) return refused(decision.code);
    if (!decision.changed && !decision.notify) return ok({ voucher: toView(row, { withCode: false }), changed: false, transferId: null });

    let booking: Booking | null = null;
    if (decision.money) booking = await bookMovement(tx, row, decision.money, p.payerAccountId ?? null, now);
    let updated = row;
    if (decision.changed) {
      const statusChanged = decision.to !== row.status;
      const patch = { ...p.patch, status: decision.to, ...(statusChanged ? { statusChangedAt: now } : {}) };
      [updated] = await tx.update(schema.vouchers).set(patch).where(eq(schema.vouchers.id, row.id)).returning() as [VoucherRow];
    }
    if (decision.notify && p.recipient) {
      const queued = await tx.insert(schema.voucherOutbox).values({ id: p.outboxId ?? randomUUID(), tenantId: row.tenantId, voucherId: row.id,
        channel: p.recipient.channel, recipient: p.recipient.to, nextAttemptAt: now, createdAt: now }).onConflictDoNothing().returning({ id: schema.voucherOutbox.id });
      // A retried resend (same requestId) finds its message queued: nothing more to do or audit.
      if (queued.length === 0) return ok({ voucher: toView(row, { withCode: false }), changed: false, transferId: null });
    }
    await recordEvents(tx, [{ voucher: row, action, toStatus: decision.to, actor: ctx.actor, at: now, detail: {
      ...p.detail,
      ...(booking ? { transferId: booking.transferId, movement: booking.movement, amountMicros: booking.amountMicros,
        debitAccountId: booking.debitAccountId, creditAccountId: booking.creditAccountId } : {}),
    } }]);
    return ok({ voucher: toView(updated, { withCode: false }), changed: true, transferId: booking?.transferId ?? null });
  });
  voucherMetrics.actions.inc({ action, outcome: result.ok ? (result.value.changed ? 'changed' : 'unchanged') : result.error.code });
  return result;
}

export interface SellInput {
  voucherId: string;
  customerId: string;
  /** `wallet`: the buyer's prepaid wallet pays; `external`: cash or a payment provider (the sales clearing account). */
  payment: PaymentMethod;
  /** The payment's reference (receipt, provider id), kept in the audit trail. */
  reference?: string | null;
}

export function sellVoucher(db: Database, ctx: VoucherContext, input: SellInput): Promise<VoucherResult<ActionOutcome>> {
  return applyAction(db, ctx, { voucherId: input.voucherId }, 'sell', async (tx, row, now) => {
    const customer = await customerInTenant(tx, ctx.tenantId, input.customerId);
    if (!customer) return refused('TG_VOUCHER_CUSTOMER_NOT_FOUND', undefined, 'customerId');
    const sameCustomer = row.customerId === customer.id;
    // Only a sale still to be booked has a wallet to check; otherwise the state machine answers.
    if (input.payment === 'wallet' && customer.currency !== row.currency && row.soldAt === null) {
      return refused('TG_VOUCHER_CURRENCY_MISMATCH', `the wallet is in ${customer.currency}, the voucher costs ${row.currency}`, 'payment');
    }
    const payer = row.soldAt === null ? await payerAccountId(tx, ctx.tenantId, customer.id, row.currency, input.payment) : undefined;
    return ok({
      facts: { sameCustomer },
      ...(payer ? { payerAccountId: payer } : {}),
      patch: { customerId: customer.id, soldAt: now, paidFromAccountId: payer ?? null },
      detail: { customerId: customer.id, payment: input.payment, reference: input.reference ?? undefined },
    });
  });
}

export interface ActivateOutcome extends ActionOutcome {
  session: SessionLimits;
}

/**
 * First login: starts the validity period and recognises the revenue. Repeated
 * logins on an active voucher answer `changed: false` with the limits left, and
 * `TG_VOUCHER_EXPIRED` once the validity has passed.
 */
export async function activateVoucher(db: Database, ctx: VoucherContext, ref: VoucherRef): Promise<VoucherResult<ActivateOutcome>> {
  const now = ctx.now ?? new Date();
  const result = await applyAction(db, { ...ctx, now }, ref, 'activate', async (_tx, row) => ok({
    facts: { validityOver: row.expiresAt !== null && row.expiresAt.getTime() <= now.getTime() },
    patch: { activatedAt: now, expiresAt: new Date(now.getTime() + Number(row.validitySeconds) * 1000) },
  }));
  if (!result.ok) return result;
  return ok({ ...result.value, session: sessionLimits(result.value.voucher, now) });
}

export function disableVoucher(db: Database, ctx: VoucherContext, input: { voucherId: string; reason?: string | null }): Promise<VoucherResult<ActionOutcome>> {
  return applyAction(db, ctx, { voucherId: input.voucherId }, 'disable', async () => ok({ detail: { reason: input.reason ?? undefined } }));
}

export function transferVoucher(db: Database, ctx: VoucherContext, input: { voucherId: string; customerId: string; reason?: string | null }):
  Promise<VoucherResult<ActionOutcome>> {
  return applyAction(db, ctx, { voucherId: input.voucherId }, 'transfer', async (tx, row) => {
    const customer = await customerInTenant(tx, ctx.tenantId, input.customerId);
    if (!customer) return refused('TG_VOUCHER_CUSTOMER_NOT_FOUND', undefined, 'customerId');
    return ok({
      facts: { sameCustomer: row.customerId === customer.id },
      patch: { customerId: customer.id },
      detail: { fromCustomerId: row.customerId, toCustomerId: customer.id, reason: input.reason ?? undefined },
    });
  });
}

/** Pays the price back to the account that paid it; only for a sold voucher never activated. The voucher ends disabled. */
export function refundVoucher(db: Database, ctx: VoucherContext, input: { voucherId: string; reason?: string | null }): Promise<VoucherResult<ActionOutcome>> {
  return applyAction(db, ctx, { voucherId: input.voucherId }, 'refund', async (_tx, _row, now) => ok({
    patch: { refundedAt: now },
    detail: { reason: input.reason ?? undefined },
  }));
}

export interface ResendInput {
  voucherId: string;
  recipient: Recipient;
  /** Same requestId → one message, however often the call is retried. */
  requestId?: string | null;
}

/** Queues the code for delivery (outbox); the audit row keeps a masked recipient. */
export function resendVoucherCode(db: Database, ctx: VoucherContext, input: ResendInput): Promise<VoucherResult<ActionOutcome>> {
  return applyAction(db, ctx, { voucherId: input.voucherId }, 'resend', async () => ok({
    recipient: input.recipient,
    ...(input.requestId ? { outboxId: idFromName(`outbox:${input.voucherId}:${input.requestId}`) } : {}),
    detail: { channel: input.recipient.channel, to: maskRecipient(input.recipient), requestId: input.requestId ?? undefined },
  }));
}
