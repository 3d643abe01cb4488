/**
 * Router registry HTTP API (tenant from the Authorization header; secrets are
 * accepted on create and never returned):
 *
 *   POST   /v1/routers            register {name, host, apiUser, apiPassword, radiusSecret, apiPort?, apiTls?, coaPort?, requestsPerMinuteMax?, backupIntervalSeconds?}
 *   GET    /v1/routers            list (status, last seen, CPU, memory, uptime)
 *   GET    /v1/routers/:id        one router (id or name)
 *   POST   /v1/routers/:id/test   test-connection: RouterOS login + /system/resource/print
 *   DELETE /v1/routers/:id        unregister
 */
import type { Logger } from '../platform/log.ts';
import type { TenantResolver } from '../platform/tenant.ts';
import { apiError } from '../schemas/errors.ts';
import { BodyTooLargeError, readBody, sendJson, trackAbort, type TemplatedApp } from '../platform/uws.ts';
import { checkRouter, type RouterApi } from './health.ts';
import { parseRouterInput, type RouterRegistry } from './registry.ts';
import { SecretBoxError } from './secret-box.ts';

export interface RouterRouteDeps {
  registry: RouterRegistry;
  api: RouterApi;
  resolveTenant: TenantResolver;
  log: Logger;
}

type Reply = { status: number; body: unknown };
type Handler = (tenantId: string, param: string, body: unknown) => Promise<Reply>;

const notFound = (): Reply => ({ status: 404, body: apiError('TG_ROUTER_NOT_FOUND') });

function handlers(deps: RouterRouteDeps): { method: 'get' | 'post' | 'del'; pattern: string; handle: Handler }[] {
  const { registry, api } = deps;
  return [
    { method: 'post', pattern: '/v1/routers', handle: async (tenantId, _p, body) => {
      const input = parseRouterInput(body);
      if (!input.ok) return { status: 400, body: apiError(input.code, input.message, input.field) };
      const added = await registry.add(tenantId, input.value);
      return added.ok ? { status: 201, body: added.value } : { status: 409, body: apiError(added.code, added.message) };
    } },
    { method: 'get', pattern: '/v1/routers', handle: async (tenantId) => ({ status: 200, body: { routers: await registry.list(tenantId) } }) },
    { method: 'get', pattern: '/v1/routers/:id', handle: async (tenantId, id) => {
      const view = await registry.view(tenantId, id);
      return view ? { status: 200, body: view } : notFound();
    } },
    { method: 'post', pattern: '/v1/routers/:id/test', handle: async (tenantId, id) => {
      const router = await registry.get(tenantId, id).catch((err: unknown) => {
        if (err instanceof SecretBoxError) return 'sealed' as const;
        throw err;
      });
      if (router === 'sealed') return { status: 502, body: apiError('TG_ROUTER_UNREACHABLE', 'the stored credentials do not open with the configured TOLLGATE_ROUTER_SECRET_KEY') };
      if (!router) return notFound();
      const result = await checkRouter(registry, api, router);
      if (result.up) return { status: 200, body: { ok: true, resources: { ...result.resources, memoryFreeBytes: result.resources?.memoryFreeBytes.toString(),
        memoryTotalBytes: result.resources?.memoryTotalBytes.toString(), uptimeSeconds: result.resources?.uptimeSeconds.toString() } } };
      return { status: 502, body: apiError('TG_ROUTER_UNREACHABLE', result.error) };
    } },
    { method: 'del', pattern: '/v1/routers/:id', handle: async (tenantId, id) => {
      const view = await registry.view(tenantId, id);
      if (!view) return notFound();
      const removed = await registry.remove(tenantId, view.id);
      if (removed === 'has_history') return { status: 409, body: apiError('TG_ROUTER_HAS_HISTORY') };
      return removed === 'removed' ? { status: 200, body: { removed: view.id } } : notFound();
    } },
  ];
}

export function registerRouterRoutes(app: TemplatedApp, deps: RouterRouteDeps): void {
  for (const route of handlers(deps)) {
    app[route.method](route.pattern, (res, req) => {
      const state = trackAbort(res);
      const param = route.pattern.includes(':id') ? decodeURIComponent(req.getParameter(0) ?? '') : '';
      const tenantResolution = deps.resolveTenant(req.getHeader('authorization'));
      const bodyRead = route.method === 'post' ? readBody(res, 16 * 1024) : Promise.resolve(null);
      (async () => {
        const raw = await bodyRead;
        const tenant = await tenantResolution;
        if (!tenant.ok) return sendJson(res, state, { status: tenant.status, body: { error: tenant.error } });
        let body: unknown = {};
        if (raw !== null && raw.length > 0) {
          try {
            body = JSON.parse(raw.toString('utf8'));
          } catch {
            return sendJson(res, state, { status: 400, body: apiError('TG_ROUTER_FIELD_INVALID', 'the body is not valid JSON', 'body') });
          }
        }
        sendJson(res, state, await route.handle(tenant.tenantId, param, body));
      })().catch((err: unknown) => {
        if (err instanceof BodyTooLargeError) return sendJson(res, state, { status: 413, body: apiError('TG_ROUTER_FIELD_INVALID', err.message, 'body') });
        // The error message only: a driver's parameter dump could hold a sealed secret.
        deps.log.error({ err: err instanceof Error ? err.message : String(err), route: route.pattern }, 'router request failed');
        sendJson(res, state, { status: 500, body: apiError('TG_INTERNAL') });
      });
    });
  }
}
