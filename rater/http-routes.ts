/**
 * `GET /v1/usage?subject=&meter=&from=&to=&windowSize=MINUTE|HOUR|DAY&groupBy=subject,meter,<property>`:
 * rated usage of the caller's tenant. `subject` and `meter` are filters; each
 * may be left out only when the answer is grouped by it (so every row names
 * one subject and one meter: quantities of different meters never add up).
 * Other groupBy names are data properties, allowed when the meter lists them
 * in its `groupBy` (meters table) — and so only with a meter filter.
 */
import { apiError, type ApiError } from '../schemas/errors.ts';
import { and, eq } from 'drizzle-orm';
import type { ClickHouseClient } from '../platform/clickhouse.ts';
import { schema, type Database } from '../platform/postgres.ts';
import type { Logger } from '../platform/log.ts';
import { enumParam, optionalParam, timeParam, type ParamResult } from '../platform/query-params.ts';
import type { TenantResolver } from '../platform/tenant.ts';
import { sendJson, trackAbort, type TemplatedApp } from '../platform/uws.ts';
import { USAGE_WINDOWS } from '../schemas/clickhouse/ddl.ts';
import type { UsageGroupBy } from '../schemas/api.ts';
import { queryUsage, UsageTooLargeError, type UsageQuery } from './usage-query.ts';

/** Far enough ahead that "no `to`" means "everything so far". */
const OPEN_END_MS = Date.UTC(2100, 0, 1);
const GROUP_BY: readonly UsageGroupBy[] = ['subject', 'meter'];

type Parsed = { ok: true; query: Omit<UsageQuery, 'tenant'> } | { ok: false; error: ApiError };

const EVENT_DIMENSIONS: readonly string[] = GROUP_BY;
/** A data property path as meters name them (`model`, `usage.region`). */
const DATA_PROPERTY = /^[A-Za-z_][A-Za-z0-9_-]{0,63}(\.[A-Za-z_][A-Za-z0-9_-]{0,63}){0,3}$/;
const GROUP_BY_MAX = 6;

/** `groupBy=a,b` and/or repeated: subject, meter, or data property names (checked against the meter later). */
function groupByParam(params: URLSearchParams): ParamResult<UsageGroupBy[]> {
  const items = params.getAll('groupBy').flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  const invalid = (message: string): ParamResult<UsageGroupBy[]> => ({ ok: false, error: { code: 'TG_QUERY_PARAM_INVALID', message, field: 'groupBy' } });
  if (items.length > GROUP_BY_MAX) return invalid(`groupBy names more than ${GROUP_BY_MAX} dimensions`);
  const seen = new Set<string>();
  for (const item of items) {
    if (!EVENT_DIMENSIONS.includes(item) && !DATA_PROPERTY.test(item)) {
      return invalid(`groupBy items are subject, meter or a data property the meter groups by (like model or usage.region), got "${item.slice(0, 64)}"`);
    }
    if (seen.has(item)) return invalid(`groupBy names "${item}" twice`);
    seen.add(item);
  }
  return { ok: true, value: items };
}

/** Validates the query string (pure: no tenant, no I/O). */
export function parseUsageParams(params: URLSearchParams): Parsed {
  const groupBy = groupByParam(params);
  const subject = optionalParam(params, 'subject');
  const meter = optionalParam(params, 'meter');
  const from = timeParam(params, 'from', 0);
  const to = timeParam(params, 'to', OPEN_END_MS);
  const windowSize = enumParam(params, 'windowSize', USAGE_WINDOWS);
  for (const p of [groupBy, subject, meter, from, to, windowSize]) if (!p.ok) return p;
  if (!groupBy.ok || !subject.ok || !meter.ok || !from.ok || !to.ok || !windowSize.ok) throw new Error('unreachable');
  for (const [name, value] of [['subject', subject.value], ['meter', meter.value]] as const) {
    if (value === undefined && !groupBy.value.includes(name)) {
      return { ok: false, error: { code: 'TG_QUERY_PARAM_MISSING', message: `query parameter ${name} is required unless groupBy includes ${name}`, field: name } };
    }
  }
  if (from.value >= to.value) return { ok: false, error: apiError('TG_QUERY_PARAM_INVALID', 'from must be before to', 'from').error };
  const dimensions = groupBy.value.filter((g) => !EVENT_DIMENSIONS.includes(g));
  if (dimensions.length > 0 && meter.value === undefined) {
    return { ok: false, error: { code: 'TG_QUERY_PARAM_MISSING', message: `grouping by data properties (${dimensions.join(', ')}) needs a meter: they are the meter's`, field: 'meter' } };
  }
  return {
    ok: true,
    query: {
      ...(subject.value !== undefined ? { subject: subject.value } : {}),
      ...(meter.value !== undefined ? { meter: meter.value } : {}),
      fromMs: from.value,
      toMs: to.value,
      ...(windowSize.value !== undefined ? { windowSize: windowSize.value } : {}),
      groupBy: groupBy.value,
    },
  };
}

/** The data properties a meter groups by (`meters.group_by`); undefined when the tenant has no such meter. */
export async function meterGroupByOf(db: Database, tenantId: string, slug: string): Promise<string[] | undefined> {
  const [row] = await db.select({ groupBy: schema.meters.groupBy }).from(schema.meters)
    .where(and(eq(schema.meters.tenantId, tenantId), eq(schema.meters.slug, slug)));
  return row?.groupBy;
}

/** `db` reads the meter's group-by properties; without it only subject and meter are groupable. */
export function registerUsageRoutes(app: TemplatedApp, deps: { clickhouse: ClickHouseClient; db?: Database; resolveTenant: TenantResolver; log: Logger }): void {
  app.get('/v1/usage', (res, req) => {
    const state = trackAbort(res);
    const params = new URLSearchParams(req.getQuery() ?? '');
    const tenantResolution = deps.resolveTenant(req.getHeader('authorization'));
    const parsed = parseUsageParams(params);
    if (!parsed.ok) {
      sendJson(res, state, { status: 400, body: { error: parsed.error } });
      return;
    }
    tenantResolution.then(async (tenant) => {
      if (!tenant.ok) {
        sendJson(res, state, { status: tenant.status, body: { error: tenant.error } });
        return;
      }
      const dimensions = (parsed.query.groupBy ?? []).filter((g) => !EVENT_DIMENSIONS.includes(g));
      if (dimensions.length > 0) {
        const meterGroupBy = deps.db ? await meterGroupByOf(deps.db, tenant.tenantId, parsed.query.meter!) : undefined;
        const unknown = dimensions.filter((d) => !meterGroupBy?.includes(d));
        if (unknown.length > 0) {
          const defined = meterGroupBy === undefined ? 'no such meter' : `its groupBy is [${meterGroupBy.join(', ')}]`;
          sendJson(res, state, { status: 400, body: apiError('TG_QUERY_PARAM_INVALID', `meter ${parsed.query.meter} does not group by ${unknown.join(', ')} (${defined})`, 'groupBy') });
          return;
        }
      }
      const usage = await queryUsage(deps.clickhouse, { tenant: tenant.tenantId, ...parsed.query });
      sendJson(res, state, { status: 200, body: usage });
    }).catch((err: unknown) => {
      if (err instanceof UsageTooLargeError) {
        sendJson(res, state, { status: 400, body: apiError('TG_QUERY_RESULT_TOO_LARGE', err.message) });
        return;
      }
      deps.log.error({ err }, 'usage query failed');
      sendJson(res, state, { status: 500, body: apiError('TG_INTERNAL') });
    });
  });
}
