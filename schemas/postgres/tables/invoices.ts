/**
 * The invoicer's tables (owned by invoicer/): tax rules, invoices and their
 * lines, payments, credit notes, per-tenant numbering, branding, the invoice
 * event outbox and webhook endpoints/deliveries. Money is bigint micro-units;
 * signed where a line reduces the total (discounts, credits, rounding).
 */
import { sql } from 'drizzle-orm';
import { bigint, check, date, index, integer, jsonb, pgTable, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenants } from './catalog.ts';

/** A tax rate for one jurisdiction × product category, in parts per million (20 % = 200,000). */
export const taxRates = pgTable('tax_rates', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  /** ISO 3166 country or country-region code, e.g. `DE`, `US-CA`. */
  jurisdiction: text('jurisdiction').notNull(),
  /** The product category a line belongs to, e.g. `saas`, `usage`, `telecom`. */
  productCategory: text('product_category').notNull(),
  ratePpm: integer('rate_ppm').notNull(),
  /** What the invoice shows, e.g. `VAT 19%`. */
  label: text('label').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('tax_rates_tenant_jurisdiction_category').on(t.tenantId, t.jurisdiction, t.productCategory),
  check('tax_rates_rate_range', sql`${t.ratePpm} >= 0 AND ${t.ratePpm} <= 1000000`)]);

/** A customer exempt from tax on one product category (`*` = every category), with the certificate that says so. */
export const taxExemptions = pgTable('tax_exemptions', {
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  customerId: text('customer_id').notNull(),
  productCategory: text('product_category').notNull(),
  certificate: text('certificate').notNull().default(''),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('tax_exemptions_key').on(t.tenantId, t.customerId, t.productCategory)]);

/** What a tenant's invoice documents show, and its payment terms. */
export const invoiceSettings = pgTable('invoice_settings', {
  tenantId: text('tenant_id').primaryKey().references(() => tenants.id),
  displayName: text('display_name').notNull(),
  address: text('address').notNull().default(''),
  taxId: text('tax_id').notNull().default(''),
  accentColor: text('accent_color').notNull().default('#1f4e79'),
  footer: text('footer').notNull().default(''),
  numberPrefix: text('number_prefix').notNull().default('INV-'),
  paymentTermsDays: integer('payment_terms_days').notNull().default(14),
});

/** The next invoice number per tenant; taken in the finalizing transaction, so a rollback gives it back and numbers have no gaps. */
export const invoiceSequences = pgTable('invoice_sequences', {
  tenantId: text('tenant_id').primaryKey().references(() => tenants.id),
  nextNumber: bigint('next_number', { mode: 'bigint' }).notNull(),
});

export const INVOICE_STATUSES = ['draft', 'finalized', 'paid', 'void', 'overdue'] as const;

/** One invoice per (tenant, customer, period): the unique key makes every run idempotent. */
export const invoices = pgTable('invoices', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  customerId: text('customer_id').notNull(),
  customerName: text('customer_name').notNull(),
  /** `YYYY-MM`. */
  period: text('period').notNull(),
  periodStart: date('period_start').notNull(),
  /** Exclusive. */
  periodEnd: date('period_end').notNull(),
  currency: text('currency').notNull(),
  status: text('status', { enum: INVOICE_STATUSES }).notNull(),
  /** Set at finalization: `<prefix><sequence>`. */
  number: text('number'),
  sequence: bigint('sequence', { mode: 'bigint' }),
  /** Sum of the non-tax lines (after discounts, before rounding). */
  subtotalMicros: bigint('subtotal_micros', { mode: 'bigint' }).notNull(),
  discountMicros: bigint('discount_micros', { mode: 'bigint' }).notNull(),
  taxMicros: bigint('tax_micros', { mode: 'bigint' }).notNull(),
  roundingMicros: bigint('rounding_micros', { mode: 'bigint' }).notNull(),
  /** Whole minor units of the currency: subtotal + tax + rounding. */
  totalMicros: bigint('total_micros', { mode: 'bigint' }).notNull(),
  /** Usage the wallet settled while it was rated (the rater's wallet settlements), attributed at finalization. */
  prepaidMicros: bigint('prepaid_micros', { mode: 'bigint' }).notNull().default(sql`0`),
  /** Wallet credit applied at finalization through a ledger transfer. */
  creditAppliedMicros: bigint('credit_applied_micros', { mode: 'bigint' }).notNull().default(sql`0`),
  paidMicros: bigint('paid_micros', { mode: 'bigint' }).notNull().default(sql`0`),
  creditedMicros: bigint('credited_micros', { mode: 'bigint' }).notNull().default(sql`0`),
  /** total − prepaid − credit applied − paid − credited. */
  balanceDueMicros: bigint('balance_due_micros', { mode: 'bigint' }).notNull(),
  /** The run that made it (correlation id of its events). */
  correlationId: text('correlation_id').notNull(),
  /** Customer facts used (jurisdiction, type, exemptions), kept so the document never changes. */
  billTo: jsonb('bill_to').notNull(),
  finalizedAt: timestamp('finalized_at', { withTimezone: true }),
  dueAt: timestamp('due_at', { withTimezone: true }),
  paidAt: timestamp('paid_at', { withTimezone: true }),
  voidedAt: timestamp('voided_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('invoices_tenant_customer_period').on(t.tenantId, t.customerId, t.period),
  uniqueIndex('invoices_tenant_sequence').on(t.tenantId, t.sequence),
  index('invoices_tenant_period_status').on(t.tenantId, t.period, t.status),
  index('invoices_due').on(t.status, t.dueAt),
]);

export const INVOICE_LINE_KINDS = ['recurring', 'usage', 'late_usage', 'minimum_commitment', 'discount', 'tax', 'rounding'] as const;

/** Invoice lines, in the order computed (invoicer/compute.ts); tax of a charge line is on the line and summed into tax lines. */
export const invoiceLines = pgTable('invoice_lines', {
  invoiceId: uuid('invoice_id').notNull().references(() => invoices.id),
  position: smallint('position').notNull(),
  kind: text('kind', { enum: INVOICE_LINE_KINDS }).notNull(),
  description: text('description').notNull(),
  productCategory: text('product_category').notNull().default(''),
  /** The period the charge is for (`YYYY-MM`): earlier than the invoice's for late usage. */
  servicePeriod: text('service_period').notNull(),
  quantity: text('quantity').notNull().default(''),
  amountMicros: bigint('amount_micros', { mode: 'bigint' }).notNull(),
  /** Discounts allocated to this line (≤ 0). */
  discountMicros: bigint('discount_micros', { mode: 'bigint' }).notNull().default(sql`0`),
  taxMicros: bigint('tax_micros', { mode: 'bigint' }).notNull().default(sql`0`),
  taxRatePpm: integer('tax_rate_ppm').notNull().default(0),
  /** Where the amount comes from: meter and price ids, coupon code, discount id, tax rate id. */
  cause: jsonb('cause').notNull(),
}, (t) => [uniqueIndex('invoice_lines_key').on(t.invoiceId, t.position)]);

export const invoicePayments = pgTable('invoice_payments', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  invoiceId: uuid('invoice_id').notNull().references(() => invoices.id),
  amountMicros: bigint('amount_micros', { mode: 'bigint' }).notNull(),
  /** What settled the invoice; the rest went to the wallet. */
  appliedMicros: bigint('applied_micros', { mode: 'bigint' }).notNull(),
  overpaidMicros: bigint('overpaid_micros', { mode: 'bigint' }).notNull(),
  method: text('method').notNull(),
  externalReference: text('external_reference').notNull(),
  /** The payment provider's event id, when the payment came by webhook. */
  providerEventId: text('provider_event_id'),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('invoice_payments_reference').on(t.tenantId, t.method, t.externalReference),
  uniqueIndex('invoice_payments_provider_event').on(t.providerEventId),
  check('invoice_payments_positive', sql`${t.amountMicros} > 0`)]);

export const creditNotes = pgTable('credit_notes', {
  id: uuid('id').primaryKey(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  invoiceId: uuid('invoice_id').notNull().references(() => invoices.id),
  kind: text('kind', { enum: ['void', 'refund'] }).notNull(),
  amountMicros: bigint('amount_micros', { mode: 'bigint' }).notNull(),
  taxMicros: bigint('tax_micros', { mode: 'bigint' }).notNull(),
  reason: text('reason').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('credit_notes_invoice').on(t.invoiceId)]);

/** Invoice events waiting for Kafka (`invoice.events`), written in the transaction that caused them. */
export const invoiceOutbox = pgTable('invoice_outbox', {
  id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
  topic: text('topic').notNull(),
  messageKey: text('message_key').notNull(),
  payload: jsonb('payload').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** A tenant's webhook receiver: events of the listed types are POSTed there, signed with `secret` (HMAC-SHA256). */
export const webhookEndpoints = pgTable('webhook_endpoints', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  url: text('url').notNull(),
  secret: text('secret').notNull(),
  /** Empty = every type. */
  eventTypes: text('event_types').array().notNull().default(sql`'{}'::text[]`),
  active: smallint('active').notNull().default(1),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const;

/** One event for one endpoint; retried with backoff until delivered or dead (dead-lettered). */
export const webhookDeliveries = pgTable('webhook_deliveries', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull(),
  endpointId: uuid('endpoint_id').notNull().references(() => webhookEndpoints.id),
  eventId: text('event_id').notNull(),
  eventType: text('event_type').notNull(),
  payload: jsonb('payload').notNull(),
  correlationId: text('correlation_id').notNull(),
  /** Higher goes first. */
  priority: smallint('priority').notNull().default(0),
  status: text('status', { enum: WEBHOOK_DELIVERY_STATUSES }).notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  attemptsMax: integer('attempts_max').notNull(),
  nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
  lastStatusCode: integer('last_status_code'),
  lastError: text('last_error'),
  deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('webhook_deliveries_endpoint_event').on(t.endpointId, t.eventId),
  index('webhook_deliveries_due').on(t.status, t.priority, t.nextAttemptAt)]);
