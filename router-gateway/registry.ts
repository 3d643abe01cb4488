/**
 * The router registry (`routers`): routers per tenant with their RouterOS API
 * credentials and RADIUS shared secret sealed (secret-box.ts). Views never
 * carry a secret; `RouterSecrets` are opened only where a packet or an API
 * call needs them and never logged.
 */
import { and, eq, sql } from 'drizzle-orm';
import { isIP } from 'node:net';
import { schema, type Database } from '../platform/postgres.ts';
import type { ErrorCode } from '../schemas/errors.ts';
import { SecretBoxError, type SecretBox } from './secret-box.ts';

const isUuid = (text: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text);

type RouterRow = typeof schema.routers.$inferSelect;

export interface RouterView {
  id: string;
  tenantId: string;
  name: string;
  host: string;
  apiPort: number;
  apiTls: boolean;
  coaPort: number;
  apiUser: string;
  requestsPerMinuteMax: number;
  status: RouterRow['status'];
  statusDetail: string;
  lastSeenAt: string | null;
  cpuLoadPercent: number | null;
  memoryFreeBytes: string | null;
  memoryTotalBytes: string | null;
  uptimeSeconds: string | null;
  backupIntervalSeconds: number;
  lastBackupAt: string | null;
}

export interface RouterWithSecrets {
  view: RouterView;
  apiPassword: string;
  radiusSecret: string;
}

export interface RouterInput {
  name: string;
  host: string;
  apiPort: number;
  apiTls: boolean;
  coaPort: number;
  apiUser: string;
  apiPassword: string;
  radiusSecret: string;
  requestsPerMinuteMax: number;
  backupIntervalSeconds: number;
}

export type RegistryResult<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; message: string; field?: string };

const invalid = (field: string, message: string): RegistryResult<never> => ({ ok: false, code: 'TG_ROUTER_FIELD_INVALID', message, field });

function port(value: unknown, field: string, fallback: number): RegistryResult<number> {
  if (value === undefined) return { ok: true, value: fallback };
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) return invalid(field, `${field} must be a port number 1..65535`);
  return { ok: true, value: n };
}

function requiredText(value: unknown, field: string, lengthMax: number): RegistryResult<string> {
  if (typeof value !== 'string' || value.trim() === '' || value.length > lengthMax) return invalid(field, `${field} must be a non-empty string of at most ${lengthMax} characters`);
  return { ok: true, value: value.trim() };
}

/** Validates an `add` request (HTTP body or CLI flags). */
export function parseRouterInput(body: unknown): RegistryResult<RouterInput> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalid('body', 'the body must be a JSON object');
  const b = body as Record<string, unknown>;
  const name = requiredText(b.name, 'name', 128);
  if (!name.ok) return name;
  const host = requiredText(b.host, 'host', 64);
  if (!host.ok) return host;
  // RADIUS packets are matched to routers by source address, so the host must be the address itself.
  if (isIP(host.value) === 0) return invalid('host', 'host must be the router\'s IP address (RADIUS packets are matched by source address)');
  const apiPort = port(b.apiPort, 'apiPort', b.apiTls === true ? 8729 : 8728);
  if (!apiPort.ok) return apiPort;
  const coaPort = port(b.coaPort, 'coaPort', 3799);
  if (!coaPort.ok) return coaPort;
  const apiUser = requiredText(b.apiUser, 'apiUser', 64);
  if (!apiUser.ok) return apiUser;
  const apiPassword = requiredText(b.apiPassword, 'apiPassword', 256);
  if (!apiPassword.ok) return apiPassword;
  const radiusSecret = requiredText(b.radiusSecret, 'radiusSecret', 128);
  if (!radiusSecret.ok) return radiusSecret;
  if (radiusSecret.value.length < 8) return invalid('radiusSecret', 'radiusSecret must be at least 8 characters');
  const perMinute = b.requestsPerMinuteMax ?? 100;
  if (typeof perMinute !== 'number' || !Number.isInteger(perMinute) || perMinute < 1 || perMinute > 10_000) return invalid('requestsPerMinuteMax', 'requestsPerMinuteMax must be an integer 1..10000');
  const backup = b.backupIntervalSeconds ?? 86_400;
  if (typeof backup !== 'number' || !Number.isInteger(backup) || backup < 300 || backup > 30 * 86_400) return invalid('backupIntervalSeconds', 'backupIntervalSeconds must be an integer 300..2592000');
  if (b.apiTls !== undefined && typeof b.apiTls !== 'boolean') return invalid('apiTls', 'apiTls must be a boolean');
  return { ok: true, value: {
    name: name.value, host: host.value, apiPort: apiPort.value, apiTls: b.apiTls === true, coaPort: coaPort.value,
    apiUser: apiUser.value, apiPassword: apiPassword.value, radiusSecret: radiusSecret.value, requestsPerMinuteMax: perMinute, backupIntervalSeconds: backup,
  } };
}

export function toRouterView(row: RouterRow): RouterView {
  return {
    id: row.id, tenantId: row.tenantId, name: row.name, host: row.host, apiPort: row.apiPort, apiTls: row.apiTls === 1, coaPort: row.coaPort,
    apiUser: row.apiUser, requestsPerMinuteMax: row.requestsPerMinuteMax, status: row.status, statusDetail: row.statusDetail,
    lastSeenAt: row.lastSeenAt?.toISOString() ?? null, cpuLoadPercent: row.cpuLoadPercent,
    memoryFreeBytes: row.memoryFreeBytes?.toString() ?? null, memoryTotalBytes: row.memoryTotalBytes?.toString() ?? null,
    uptimeSeconds: row.uptimeSeconds?.toString() ?? null, backupIntervalSeconds: row.backupIntervalSeconds, lastBackupAt: row.lastBackupAt?.toISOString() ?? null,
  };
}

/** The additional data binding a sealed value to its router and purpose. */
const context = (tenantId: string, name: string, purpose: string): string => `router:${tenantId}:${name}:${purpose}`;

export class RouterRegistry {
  /** RADIUS lookups by source address; refreshed every `cacheTtlMs` (new routers show up within it). */
  private byHost = new Map<string, RouterWithSecrets>();
  private loadedAtMs = 0;
  private loading: Promise<void> | undefined;

  constructor(private readonly db: Database, private readonly box: SecretBox, private readonly cacheTtlMs = 5_000) {}

  async add(tenantId: string, input: RouterInput): Promise<RegistryResult<RouterView>> {
    const [row] = await this.db.insert(schema.routers).values({
      tenantId, name: input.name, host: input.host, apiPort: input.apiPort, apiTls: input.apiTls ? 1 : 0, coaPort: input.coaPort, apiUser: input.apiUser,
      apiPasswordSealed: this.box.seal(input.apiPassword, context(tenantId, input.name, 'api')),
      radiusSecretSealed: this.box.seal(input.radiusSecret, context(tenantId, input.name, 'radius')),
      requestsPerMinuteMax: input.requestsPerMinuteMax, backupIntervalSeconds: input.backupIntervalSeconds,
    }).onConflictDoNothing().returning();
    if (!row) return { ok: false, code: 'TG_ROUTER_EXISTS', message: `a router named ${input.name} or at ${input.host} is already registered` };
    this.loadedAtMs = 0;
    return { ok: true, value: toRouterView(row) };
  }

  async list(tenantId: string): Promise<RouterView[]> {
    const rows = await this.db.select().from(schema.routers).where(eq(schema.routers.tenantId, tenantId)).orderBy(schema.routers.name);
    return rows.map(toRouterView);
  }

  async get(tenantId: string, idOrName: string): Promise<RouterWithSecrets | undefined> {
    const r = schema.routers;
    const [row] = await this.db.select().from(r).where(and(eq(r.tenantId, tenantId), isUuid(idOrName) ? eq(r.id, idOrName) : eq(r.name, idOrName)));
    return row ? this.open(row) : undefined;
  }

  /** The view only: no secret is opened (works even when the key changed). */
  async view(tenantId: string, idOrName: string): Promise<RouterView | undefined> {
    const r = schema.routers;
    const [row] = await this.db.select().from(r).where(and(eq(r.tenantId, tenantId), isUuid(idOrName) ? eq(r.id, idOrName) : eq(r.name, idOrName)));
    return row ? toRouterView(row) : undefined;
  }

  /** Every router whose secrets open with the configured key; the others are skipped (and say so in their status). */
  async all(): Promise<RouterWithSecrets[]> {
    const out: RouterWithSecrets[] = [];
    for (const row of await this.db.select().from(schema.routers)) {
      try {
        out.push(this.open(row));
      } catch (err) {
        if (!(err instanceof SecretBoxError)) throw err;
        if (row.status !== 'error') await this.recordHealth(row.id, { status: 'error', detail: 'stored credentials do not open with TOLLGATE_ROUTER_SECRET_KEY' });
      }
    }
    return out;
  }

  /** Unregisters a router; one with recorded sessions, cutoffs or backups stays (they reference it). */
  async remove(tenantId: string, id: string): Promise<'removed' | 'not_found' | 'has_history'> {
    const r = schema.routers;
    const referenced = await this.db.execute<{ n: number }>(sql`SELECT
      (SELECT count(*) FROM radius_sessions WHERE router_id = ${id}) + (SELECT count(*) FROM router_cutoffs WHERE router_id = ${id})
      + (SELECT count(*) FROM router_backups WHERE router_id = ${id}) AS n`);
    if (Number(referenced.rows[0]?.n ?? 0) > 0) return 'has_history';
    const rows = await this.db.delete(r).where(and(eq(r.tenantId, tenantId), eq(r.id, id))).returning({ id: r.id });
    this.loadedAtMs = 0;
    return rows.length > 0 ? 'removed' : 'not_found';
  }

  /** The router whose RADIUS packets come from `address` (cached). */
  async byAddress(address: string): Promise<RouterWithSecrets | undefined> {
    if (Date.now() - this.loadedAtMs > this.cacheTtlMs) await this.reload();
    return this.byHost.get(address);
  }

  /** Synchronous cache lookup for the hot path; undefined also when the cache is cold. */
  cachedByAddress(address: string): RouterWithSecrets | undefined {
    if (Date.now() - this.loadedAtMs > this.cacheTtlMs) void this.reload().catch(() => undefined);
    return this.byHost.get(address);
  }

  async recordHealth(id: string, health: { status: RouterRow['status']; detail: string; seenAt?: Date; cpuLoadPercent?: number;
    memoryFreeBytes?: bigint; memoryTotalBytes?: bigint; uptimeSeconds?: bigint }): Promise<void> {
    await this.db.update(schema.routers).set({
      status: health.status, statusDetail: health.detail.slice(0, 500), updatedAt: new Date(),
      ...(health.seenAt ? { lastSeenAt: health.seenAt } : {}),
      ...(health.cpuLoadPercent !== undefined ? { cpuLoadPercent: health.cpuLoadPercent } : {}),
      ...(health.memoryFreeBytes !== undefined ? { memoryFreeBytes: health.memoryFreeBytes } : {}),
      ...(health.memoryTotalBytes !== undefined ? { memoryTotalBytes: health.memoryTotalBytes } : {}),
      ...(health.uptimeSeconds !== undefined ? { uptimeSeconds: health.uptimeSeconds } : {}),
    }).where(eq(schema.routers.id, id));
  }

  private reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const routers = await this.all();
        this.byHost = new Map(routers.map((r) => [r.view.host, r]));
        this.loadedAtMs = Date.now();
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  private open(row: RouterRow): RouterWithSecrets {
    return {
      view: toRouterView(row),
      apiPassword: this.box.open(row.apiPasswordSealed, context(row.tenantId, row.name, 'api')),
      radiusSecret: this.box.open(row.radiusSecretSealed, context(row.tenantId, row.name, 'radius')),
    };
  }
}
