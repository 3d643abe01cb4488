/**
 * The counted state of each RADIUS session (`radius_sessions`), cached in
 * memory and written to Postgres before the Accounting-Response goes out.
 * Writes are batched: every save waits for one multi-row upsert shared with
 * the saves of the same few milliseconds (hot path: one statement per batch,
 * raw SQL with unnest because drizzle's multi-row VALUES is far slower).
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { schema, type Database } from '../platform/postgres.ts';
import type { SessionTotals } from './accounting.ts';
import { gatewayMetrics } from './metrics.ts';

export interface SessionRecord extends SessionTotals {
  routerId: string;
  acctSessionId: string;
  tenantId: string;
  userName: string;
  voucherId: string | null;
  customerId: string | null;
  framedIp: string | null;
  callingStationId: string | null;
  startedAt: Date;
  updatedAt: Date;
}

export interface SessionStoreOptions {
  /** Most sessions kept in memory; the oldest are dropped past it (Postgres still has them). */
  cachedSessionsMax: number;
  /** Most rows in one upsert. */
  batchRowsMax: number;
  lingerMs: number;
  /** Upserts running at once (each holds a pool connection). */
  writesInFlightMax: number;
}

const DEFAULTS: SessionStoreOptions = { cachedSessionsMax: 200_000, batchRowsMax: 5000, lingerMs: 2, writesInFlightMax: 2 };

interface PendingWrite {
  rows: Map<string, SessionRecord>;
  done: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

export function sessionKey(routerId: string, acctSessionId: string): string {
  return `${routerId}\u0000${acctSessionId}`;
}

/** A raw `radius_sessions` row (snake_case, bigint columns already parsed by platform/postgres.ts). */
function recordOf(row: Record<string, unknown>): SessionRecord {
  return {
    routerId: row.router_id as string, acctSessionId: row.acct_session_id as string, tenantId: row.tenant_id as string, userName: row.user_name as string,
    voucherId: row.voucher_id as string | null, customerId: row.customer_id as string | null, framedIp: row.framed_ip as string | null,
    callingStationId: row.calling_station_id as string | null, reports: row.reports as bigint, bytesIn: row.bytes_in as bigint, bytesOut: row.bytes_out as bigint,
    seconds: row.seconds as bigint, stopped: row.state === 'stopped', startedAt: row.started_at as Date, updatedAt: row.updated_at as Date,
  };
}

export class SessionStore {
  private readonly cache = new Map<string, SessionRecord>();
  private pending: PendingWrite | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();
  private readonly options: SessionStoreOptions;
  private readonly loadQueue = new Map<string, { routerId: string; acctSessionId: string; promise: Promise<SessionRecord | undefined>;
    resolve: (r: SessionRecord | undefined) => void; reject: (err: Error) => void }>();
  private loadTimer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Database, options: Partial<SessionStoreOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  get cachedCount(): number {
    return this.cache.size;
  }

  /**
   * The session's counted state: from memory, else from Postgres. Misses are
   * batched into one query per few milliseconds (hot path after a restart or
   * for sessions first seen mid-way: raw SQL with unnest).
   */
  load(routerId: string, acctSessionId: string): Promise<SessionRecord | undefined> {
    const key = sessionKey(routerId, acctSessionId);
    const cached = this.cache.get(key);
    if (cached) return Promise.resolve(cached);
    let waiting = this.loadQueue.get(key);
    if (!waiting) {
      let resolve!: (r: SessionRecord | undefined) => void;
      let reject!: (err: Error) => void;
      const promise = new Promise<SessionRecord | undefined>((res, rej) => { resolve = res; reject = rej; });
      waiting = { routerId, acctSessionId, promise, resolve, reject };
      this.loadQueue.set(key, waiting);
      if (this.loadQueue.size >= this.options.batchRowsMax) this.runLoads();
      else this.loadTimer ??= setTimeout(() => this.runLoads(), this.options.lingerMs);
    }
    return waiting.promise;
  }

  private runLoads(): void {
    if (this.loadTimer) clearTimeout(this.loadTimer);
    this.loadTimer = undefined;
    const batch = [...this.loadQueue.values()];
    this.loadQueue.clear();
    if (batch.length === 0) return;
    this.db.$client.query<Record<string, unknown>>(`
      SELECT s.* FROM radius_sessions s JOIN unnest($1::uuid[], $2::text[]) AS k(router_id, acct_session_id)
        ON s.router_id = k.router_id AND s.acct_session_id = k.acct_session_id`,
    [batch.map((b) => b.routerId), batch.map((b) => b.acctSessionId)]).then((result) => {
      const found = new Map<string, SessionRecord>();
      for (const row of result.rows) {
        const record = recordOf(row);
        found.set(sessionKey(record.routerId, record.acctSessionId), record);
      }
      for (const b of batch) {
        const key = sessionKey(b.routerId, b.acctSessionId);
        // A save that raced the query is newer than the row read.
        const record = this.cache.get(key) ?? found.get(key);
        if (record) this.remember(key, record);
        b.resolve(record);
      }
    }, (err: unknown) => {
      for (const b of batch) b.reject(err instanceof Error ? err : new Error(String(err)));
    });
  }

  /** The in-memory state only (no query). */
  cached(routerId: string, acctSessionId: string): SessionRecord | undefined {
    return this.cache.get(sessionKey(routerId, acctSessionId));
  }

  /** Resolves once the row is in Postgres. */
  save(record: SessionRecord): Promise<void> {
    const key = sessionKey(record.routerId, record.acctSessionId);
    this.remember(key, record);
    if (!this.pending) {
      let resolve!: () => void;
      let reject!: (err: Error) => void;
      const done = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
      done.catch(() => undefined);
      this.pending = { rows: new Map(), done, resolve, reject };
    }
    const pending = this.pending;
    pending.rows.set(key, record);
    if (pending.rows.size >= this.options.batchRowsMax) this.flushPending();
    else this.timer ??= setTimeout(() => this.flushPending(), this.options.lingerMs);
    return pending.done;
  }

  /** Active sessions of a voucher or a customer (for cutoffs). */
  async activeSessions(filter: { voucherId?: string; customerId?: string; tenantId: string }): Promise<SessionRecord[]> {
    const s = schema.radiusSessions;
    const by = filter.voucherId !== undefined ? eq(s.voucherId, filter.voucherId) : filter.customerId !== undefined ? eq(s.customerId, filter.customerId) : undefined;
    if (!by) return [];
    const rows = await this.db.select().from(s).where(and(by, eq(s.tenantId, filter.tenantId), eq(s.state, 'active')));
    return rows.map((row) => ({ ...row, stopped: false }));
  }

  /** Accounting-On/Off: the NAS restarted, every session it had is over. */
  async stopAllOfRouter(routerId: string, now: Date): Promise<number> {
    for (const [key, record] of this.cache) if (record.routerId === routerId) this.cache.delete(key);
    const s = schema.radiusSessions;
    const rows = await this.db.update(s).set({ state: 'stopped', updatedAt: now }).where(and(eq(s.routerId, routerId), eq(s.state, 'active'))).returning({ id: s.acctSessionId });
    return rows.length;
  }

  async countActive(routerIds: string[]): Promise<Map<string, number>> {
    const s = schema.radiusSessions;
    if (routerIds.length === 0) return new Map();
    const rows = await this.db.select({ routerId: s.routerId, n: sql<string>`count(*)::text` }).from(s)
      .where(and(inArray(s.routerId, routerIds), eq(s.state, 'active'))).groupBy(s.routerId);
    return new Map(rows.map((r) => [r.routerId, Number(r.n)]));
  }

  async flush(): Promise<void> {
    while (this.pending || this.inFlight.size > 0) {
      if (this.pending) this.flushPending();
      await Promise.allSettled([...this.inFlight]);
    }
  }

  private remember(key: string, record: SessionRecord): void {
    this.cache.delete(key);
    this.cache.set(key, record);
    if (this.cache.size > this.options.cachedSessionsMax) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }

  /**
   * Group commit: at most `writesInFlightMax` upserts at once; saves arriving
   * meanwhile join the next batch, which goes as soon as one finishes. (Many
   * tiny concurrent upserts measured 42 ms each and exhausted the pool.)
   */
  private flushPending(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight.size >= this.options.writesInFlightMax) return;
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) return;
    const write = this.write([...pending.rows.values()]).then(pending.resolve, (err: unknown) => pending.reject(err instanceof Error ? err : new Error(String(err))));
    this.inFlight.add(write);
    void write.finally(() => {
      this.inFlight.delete(write);
      if (this.pending) this.flushPending();
    });
  }

  private async write(rows: SessionRecord[]): Promise<void> {
    const col = <T>(pick: (r: SessionRecord) => T): T[] => rows.map(pick);
    const stopTimer = gatewayMetrics.sessionWriteSeconds.startTimer();
    await this.db.$client.query(`
      INSERT INTO radius_sessions (router_id, acct_session_id, tenant_id, user_name, voucher_id, customer_id, framed_ip,
        calling_station_id, reports, bytes_in, bytes_out, seconds, state, started_at, updated_at)
      SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::uuid[], $7::text[], $8::text[],
        $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::text[], $14::timestamptz[], $15::timestamptz[])
      ON CONFLICT (router_id, acct_session_id) DO UPDATE SET
        reports = EXCLUDED.reports, bytes_in = EXCLUDED.bytes_in, bytes_out = EXCLUDED.bytes_out, seconds = EXCLUDED.seconds,
        state = EXCLUDED.state, updated_at = EXCLUDED.updated_at, framed_ip = COALESCE(EXCLUDED.framed_ip, radius_sessions.framed_ip),
        voucher_id = COALESCE(EXCLUDED.voucher_id, radius_sessions.voucher_id), customer_id = COALESCE(EXCLUDED.customer_id, radius_sessions.customer_id)
      -- Reports only move forward: a slower writer cannot put an older state back.
      WHERE radius_sessions.reports <= EXCLUDED.reports`, [
      col((r) => r.routerId), col((r) => r.acctSessionId), col((r) => r.tenantId), col((r) => r.userName), col((r) => r.voucherId),
      col((r) => r.customerId), col((r) => r.framedIp), col((r) => r.callingStationId), col((r) => r.reports.toString()),
      col((r) => r.bytesIn.toString()), col((r) => r.bytesOut.toString()), col((r) => r.seconds.toString()),
      col((r) => (r.stopped ? 'stopped' : 'active')), col((r) => r.startedAt.toISOString()), col((r) => r.updatedAt.toISOString()),
    ]).finally(() => stopTimer());
  }
}
