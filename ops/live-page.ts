/**
 * `GET /` — a read-only page with live figures (served by the ingest tier), and
 * `GET /v1/live` — the JSON it polls. The figures belong to the caller's
 * tenant: the page sends the API key from its URL fragment (`/#key=tg_…`,
 * never sent to the server in the URL, so it stays out of access logs); in
 * single-node dev mode (TOLLGATE_AUTH_MODE=optional) no key is needed.
 */
import { readFileSync } from 'node:fs';
import { apiError } from '../schemas/errors.ts';
import type { ClickHouseClient } from '../platform/clickhouse.ts';
import type { Logger } from '../platform/log.ts';
import type { TenantResolver } from '../platform/tenant.ts';
import { sendJson, sendText, trackAbort, type TemplatedApp } from '../platform/uws.ts';
import { IngestRateSampler, queryRatedFigures, type LiveFigures } from './live-figures.ts';

const PAGE_HTML = readFileSync(new URL('./live-page.html', import.meta.url), 'utf8');

export interface LivePageDeps {
  clickhouse: ClickHouseClient;
  resolveTenant: TenantResolver;
  log: Logger;
}

export function registerLivePage(app: TemplatedApp, deps: LivePageDeps): void {
  const sampler = new IngestRateSampler();
  app.get('/', (res) => {
    sendText(res, trackAbort(res), 200, 'text/html; charset=utf-8', PAGE_HTML);
  });
  app.get('/v1/live', (res, req) => {
    const state = trackAbort(res);
    deps.resolveTenant(req.getHeader('authorization')).then(async (tenant) => {
      if (!tenant.ok) {
        sendJson(res, state, { status: tenant.status, body: { error: tenant.error } });
        return;
      }
      const nowMs = Date.now();
      const [ingestEventsPerSecond, rated] = await Promise.all([sampler.rate(nowMs), queryRatedFigures(deps.clickhouse, tenant.tenantId)]);
      const body: LiveFigures = { at: new Date(nowMs).toISOString(), ingestEventsPerSecond, ...rated };
      sendJson(res, state, { status: 200, body, headers: { 'Cache-Control': 'no-store' } });
    }).catch((err: unknown) => {
      deps.log.error({ err }, 'live figures failed');
      sendJson(res, state, { status: 500, body: apiError('TG_INTERNAL') });
    });
  });
}
