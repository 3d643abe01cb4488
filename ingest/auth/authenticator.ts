/**
 * Resolves `Authorization: Bearer tg_<id>_<secret>` to a tenant. Keys are
 * cached for `cacheTtlMs` (so the hot path does not query Postgres per
 * request, and a revocation takes effect within that time). In `optional`
 * mode (single-node dev) a request without a key acts for the default tenant.
 */
import type { Database } from '../../platform/postgres.ts';
import type { ApiError } from '../../schemas/errors.ts';
import { findApiKey, parseApiKey, secretMatches, type ApiKeyRecord } from './api-keys.ts';

export type AuthMode = 'required' | 'optional';

export interface Principal {
  tenantId: string;
  /** Absent for the default tenant of optional mode. */
  keyId?: string;
  eventsPerSecondMax: number;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; status: 401; error: ApiError };

export interface AuthenticatorOptions {
  mode: AuthMode;
  defaultTenant: string;
  defaultEventsPerSecondMax: number;
  cacheTtlMs?: number;
  cacheKeysMax?: number;
}

function unauthorized(message: string): AuthResult {
  return { ok: false, status: 401, error: { code: 'TG_UNAUTHORIZED', message } };
}

export class Authenticator {
  private readonly cache = new Map<string, { record: ApiKeyRecord | undefined; loadedAtMs: number }>();
  private readonly cacheTtlMs: number;
  private readonly cacheKeysMax: number;

  constructor(private readonly db: Database, private readonly options: AuthenticatorOptions) {
    this.cacheTtlMs = options.cacheTtlMs ?? 5000;
    this.cacheKeysMax = options.cacheKeysMax ?? 10_000;
  }

  /** `authorization` is the raw header value ('' when absent). */
  async authenticate(authorization: string): Promise<AuthResult> {
    if (authorization === '') {
      if (this.options.mode === 'optional') {
        return { ok: true, principal: { tenantId: this.options.defaultTenant, eventsPerSecondMax: this.options.defaultEventsPerSecondMax } };
      }
      return unauthorized('an API key is required: send "Authorization: Bearer tg_…"');
    }
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    const parsed = match ? parseApiKey(match[1]!) : undefined;
    if (!parsed) return unauthorized('the Authorization header is not "Bearer tg_<id>_<secret>"');
    const record = await this.lookup(parsed.id);
    if (!record || !secretMatches(record, parsed.secret)) return unauthorized('unknown API key');
    if (record.revokedAt) return unauthorized(`API key ${record.id} was revoked`);
    return { ok: true, principal: { tenantId: record.tenantId, keyId: record.id, eventsPerSecondMax: record.eventsPerSecondMax ?? this.options.defaultEventsPerSecondMax } };
  }

  private async lookup(id: string): Promise<ApiKeyRecord | undefined> {
    const now = Date.now();
    const cached = this.cache.get(id);
    if (cached && now - cached.loadedAtMs < this.cacheTtlMs) return cached.record;
    const record = await findApiKey(this.db, id);
    this.cache.delete(id);
    this.cache.set(id, { record, loadedAtMs: now });
    if (this.cache.size > this.cacheKeysMax) this.cache.delete(this.cache.keys().next().value!);
    return record;
  }
}
