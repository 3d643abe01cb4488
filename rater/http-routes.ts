/**
 * `GET /v1/usage?subject=&meter=&from=&to=&windowSize=MINUTE|HOUR|DAY&groupBy=subject,meter`:
 * rated usage of the caller's tenant. `subject` and `meter` are filters; each
 * may be left out only when the answer is grouped by it (so every row names
 * one subject and one meter: quantities of different meters never add up).
 */
import { apiError, type ApiError } from '../schemas/errors.ts';
import type { ClickHouseClient } from '../platform/clickhouse.ts';
import type { Logger } from '../platform/log.ts';
import { enumListParam, enumParam, optionalParam, timeParam } from '../platform/query-params.ts';
import type { TenantResolver } from '../platform/tenant.ts';
import { sendJson, trackAbort, type TemplatedApp } from '../platform/uws.ts';
import { USAGE_WINDOWS } from '../schemas/clickhouse/ddl.ts';
import type { UsageGroupBy } from '../schemas/api.ts';
import { queryUsage, UsageTooLargeError, type UsageQuery } from './usage-query.ts';

/** Far enough ahead that "no `to`" means "everything so far". */
const OPEN_END_MS = Date.UTC(2100, 0, 1);
const GROUP_BY: readonly UsageGroupBy[] = ['subject', 'meter'];

type Parsed = { ok: true; query: Omit<UsageQuery, 'tenant'> } | { ok: false; error: ApiError };

/** Validates the query string (pure: no tenant, no I/O). */
export function parseUsageParams(params: URLSearchParams): Parsed {
  const groupBy = enumListParam(params, 'groupBy', GROUP_BY, ' (meters define no group-by data properties yet)');
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

export function registerUsageRoutes(app: TemplatedApp, deps: { clickhouse: ClickHouseClient; resolveTenant: TenantResolver; log: Logger }): void {
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
