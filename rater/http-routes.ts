/** `GET /v1/usage?subject=&meter=&from=&to=`: a customer's usage total for one meter. */
import { apiError } from '../schemas/errors.ts';
import type { ClickHouseClient } from '../platform/clickhouse.ts';
import type { Logger } from '../platform/log.ts';
import { requiredParam, timeParam } from '../platform/query-params.ts';
import type { TenantResolver } from '../platform/tenant.ts';
import { sendJson, trackAbort, type TemplatedApp } from '../platform/uws.ts';
import { queryUsageTotal } from './usage-query.ts';

/** Far enough ahead that "no `to`" means "everything so far". */
const OPEN_END_MS = Date.UTC(2100, 0, 1);

export function registerUsageRoutes(app: TemplatedApp, deps: { clickhouse: ClickHouseClient; resolveTenant: TenantResolver; log: Logger }): void {
  app.get('/v1/usage', (res, req) => {
    const state = trackAbort(res);
    const params = new URLSearchParams(req.getQuery() ?? '');
    const tenantResolution = deps.resolveTenant(req.getHeader('authorization'));
    const subject = requiredParam(params, 'subject');
    const meter = requiredParam(params, 'meter');
    const from = timeParam(params, 'from', 0);
    const to = timeParam(params, 'to', OPEN_END_MS);
    for (const p of [subject, meter, from, to]) {
      if (!p.ok) {
        sendJson(res, state, { status: 400, body: { error: p.error } });
        return;
      }
    }
    if (!subject.ok || !meter.ok || !from.ok || !to.ok) return;
    if (from.value >= to.value) {
      sendJson(res, state, { status: 400, body: apiError('TG_QUERY_PARAM_INVALID', 'from must be before to', 'from') });
      return;
    }
    tenantResolution.then(async (tenant) => {
      if (!tenant.ok) {
        sendJson(res, state, { status: tenant.status, body: { error: tenant.error } });
        return;
      }
      const total = await queryUsageTotal(deps.clickhouse, { tenant: tenant.tenantId, subject: subject.value, meter: meter.value, fromMs: from.value, toMs: to.value });
      sendJson(res, state, { status: 200, body: total });
    }).catch((err: unknown) => {
        deps.log.error({ err }, 'usage query failed');
        sendJson(res, state, { status: 500, body: apiError('TG_INTERNAL') });
      });
  });
}
