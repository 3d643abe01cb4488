/** The rater's progress: log epochs and per-partition checkpoints. */
import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, numeric, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { QuotaExceededEvent } from '../../quota-events.ts';

/**
 * One row per consumed topic: the epoch of its log. A new epoch starts when
 * the log itself was reset (the in-memory dev broker restarted); it is part of
 * every ClickHouse dedup token and ledger reference, so offsets of a new log
 * never collide with offsets of an old one.
 */
export const raterTopics = pgTable('rater_topics', {
  topic: text('topic').primaryKey(),
  epoch: text('epoch').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The rater's progress per Kafka partition: the next offset to rate. Written in
 * the same transaction as the ledger transfers of the batch it covers, so
 * offsets and money move together (exactly once).
 */
export const raterCheckpoints = pgTable('rater_checkpoints', {
  topic: text('topic').notNull(),
  partition: integer('partition').notNull(),
  nextOffset: bigint('next_offset', { mode: 'bigint' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.topic, t.partition] })]);


/**
 * Running usage per (customer, meter, billing period) — the state that lets
 * period-scope prices (graduated, volume, package, free allowance) and
 * entitlements price each event at its marginal position. Written in the same
 * transaction as the checkpoint of the partition whose batch changed it, so a
 * replay from the checkpoint starts from exactly the state it had. Not reset
 * with a new log epoch: the usage it counts stays rated.
 */
export const raterUsageState = pgTable('rater_usage_state', {
  topic: text('topic').notNull(),
  /** The partition that owns the customer (events are keyed by subject): state is loaded per partition. */
  partition: integer('partition').notNull(),
  customerId: uuid('customer_id').notNull(),
  meterId: uuid('meter_id').notNull(),
  /** First day of the UTC calendar month, `YYYY-MM-DD`. */
  periodStart: text('period_start').notNull(),
  /** Running quantity in nano-units (an integer; beyond bigint for large byte counts). */
  quantityNanos: numeric('quantity_nanos', { precision: 40, scale: 0 }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.topic, t.customerId, t.meterId, t.periodStart] }),
  index('rater_usage_state_partition').on(t.topic, t.partition)]);

/**
 * Entitlement limits reached, once per (customer, meter, period, limit), and
 * the outbox of `quota.exceeded`: inserted in the checkpoint transaction (so a
 * replay finds it and emits nothing new), published to Kafka afterwards
 * (`publishedAt` set; at least once, consumers de-duplicate by `id`).
 */
export const quotaCrossings = pgTable('quota_crossings', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull(),
  customerId: uuid('customer_id').notNull(),
  meterId: uuid('meter_id').notNull(),
  periodStart: text('period_start').notNull(),
  limitQuantity: numeric('limit_quantity', { precision: 38, scale: 9 }).notNull(),
  /** The `quota.exceeded` payload (schemas/quota-events.ts). */
  payload: jsonb('payload').$type<QuotaExceededEvent>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  publishedAt: timestamp('published_at', { withTimezone: true }),
}, (t) => [uniqueIndex('quota_crossings_once').on(t.customerId, t.meterId, t.periodStart, t.limitQuantity),
  index('quota_crossings_unpublished').on(t.createdAt).where(sql`${t.publishedAt} IS NULL`)]);
