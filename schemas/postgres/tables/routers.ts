/**
 * MikroTik routers and their hotspot sessions (owned by router-gateway/):
 * the router registry (credentials encrypted at rest), the RADIUS accounting
 * state of each session, every cutoff with its outcome, and config backups.
 */
import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tenants } from './catalog.ts';

export const routers = pgTable('routers', {
  id: uuid('id').primaryKey().defaultRandom(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  name: text('name').notNull(),
  /** Where the gateway reaches the router (RouterOS API, CoA) and the source address its RADIUS packets come from. */
  host: text('host').notNull(),
  apiPort: integer('api_port').notNull().default(8728),
  apiTls: integer('api_tls').notNull().default(0),
  coaPort: integer('coa_port').notNull().default(3799),
  apiUser: text('api_user').notNull(),
  /** AES-256-GCM envelopes (router-gateway/secret-box.ts): never logged, never returned by the API. */
  apiPasswordSealed: text('api_password_sealed').notNull(),
  radiusSecretSealed: text('radius_secret_sealed').notNull(),
  requestsPerMinuteMax: integer('requests_per_minute_max').notNull().default(100),
  status: text('status', { enum: ['unknown', 'online', 'offline', 'error'] }).notNull().default('unknown'),
  statusDetail: text('status_detail').notNull().default(''),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }),
  cpuLoadPercent: integer('cpu_load_percent'),
  memoryFreeBytes: bigint('memory_free_bytes', { mode: 'bigint' }),
  memoryTotalBytes: bigint('memory_total_bytes', { mode: 'bigint' }),
  uptimeSeconds: bigint('uptime_seconds', { mode: 'bigint' }),
  backupIntervalSeconds: integer('backup_interval_seconds').notNull().default(86_400),
  lastBackupAt: timestamp('last_backup_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('routers_tenant_name').on(t.tenantId, t.name),
  // RADIUS packets are matched to their router by source address: one router per address.
  uniqueIndex('routers_host').on(t.host),
]);

/**
 * The last accounting report of each session: the base the next report's
 * deltas are computed from. Written before the Accounting-Response is sent.
 */
export const radiusSessions = pgTable('radius_sessions', {
  routerId: uuid('router_id').notNull().references(() => routers.id),
  acctSessionId: text('acct_session_id').notNull(),
  tenantId: text('tenant_id').notNull(),
  userName: text('user_name').notNull(),
  voucherId: uuid('voucher_id'),
  customerId: uuid('customer_id'),
  framedIp: text('framed_ip'),
  callingStationId: text('calling_station_id'),
  /** Reports counted so far (Start = 0). */
  reports: bigint('reports', { mode: 'bigint' }).notNull(),
  bytesIn: bigint('bytes_in', { mode: 'bigint' }).notNull(),
  bytesOut: bigint('bytes_out', { mode: 'bigint' }).notNull(),
  seconds: bigint('seconds', { mode: 'bigint' }).notNull(),
  state: text('state', { enum: ['active', 'stopped'] }).notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
}, (t) => [
  uniqueIndex('radius_sessions_key').on(t.routerId, t.acctSessionId),
  index('radius_sessions_voucher').on(t.voucherId).where(sql`${t.state} = 'active'`),
  index('radius_sessions_customer').on(t.customerId).where(sql`${t.state} = 'active'`),
]);

/** Every cutoff attempt chain with its outcome (disconnect = RFC 5176 ACK, api = RouterOS API removal). */
export const routerCutoffs = pgTable('router_cutoffs', {
  id: bigserial('id', { mode: 'bigint' }).primaryKey(),
  /** Idempotency: one cutoff per (cause, session). */
  cutoffKey: text('cutoff_key').notNull(),
  tenantId: text('tenant_id').notNull(),
  routerId: uuid('router_id').notNull().references(() => routers.id),
  acctSessionId: text('acct_session_id').notNull(),
  userName: text('user_name').notNull(),
  cause: text('cause').notNull(),
  method: text('method', { enum: ['disconnect', 'api', 'none'] }).notNull(),
  outcome: text('outcome', { enum: ['pending', 'done', 'failed'] }).notNull(),
  attempts: integer('attempts').notNull().default(0),
  detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default({}),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
}, (t) => [uniqueIndex('router_cutoffs_key').on(t.cutoffKey)]);

export const routerBackups = pgTable('router_backups', {
  id: bigserial('id', { mode: 'bigint' }).primaryKey(),
  routerId: uuid('router_id').notNull().references(() => routers.id),
  /** `/export` text (RouterOS hides secrets in it by default). */
  exportText: text('export_text').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
