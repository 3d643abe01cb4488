/** The rater's progress: log epochs and per-partition checkpoints. */
import { bigint, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

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

