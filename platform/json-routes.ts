/**
 * A table of tenant-scoped JSON routes on uWS, shared by the API modules
 * (catalog, vouchers, …): each route names its method, pattern and path
 * parameter count and gets `{tenantId, params, query, body}`; this module
 * copies what uWS hands out before the handler returns, resolves the tenant,
 * reads and parses the body, and turns failures into coded answers:
 * 401/403 from the tenant resolver, 400 TG_BODY_MALFORMED, 413 TG_BODY_TOO_LARGE,
 * and 500 TG_INTERNAL for anything unexpected (logged without SQL parameters).
 */
import type { Logger } from './log.ts';
import type { TenantResolver } from './tenant.ts';
import { BodyTooLargeError, readBody, sendJson, trackAbort, type HttpResponse, type TemplatedApp } from './uws.ts';
import { apiError } from '../schemas/errors.ts';

export interface RouteRequest {
  tenantId: string;
  /** Path parameters, URI-decoded, in pattern order. */
  params: string[];
  query: URLSearchParams;
  /** The parsed JSON body; `{}` for a route without one or an empty body. */
  body: unknown;
}

export type RouteMethod = 'get' | 'post' | 'patch' | 'put' | 'del';

export interface JsonRoute<Reply> {
  method: RouteMethod;
  pattern: string;
  params: number;
  handle: (request: RouteRequest) => Promise<Reply>;
}

export interface JsonRouteDeps<Reply> {
  resolveTenant: TenantResolver;
  log: Logger;
  /** Names the module in logs ("catalog request failed"). */
  name: string;
  bodyBytesMax: number;
  /** Writes a handler's reply; JSON `{status, body}` replies need nothing else. */
  send: (res: HttpResponse, state: ReturnType<typeof trackAbort>, reply: Reply) => void;
}

export type JsonReply = { status: number; body: unknown };

export const sendJsonReply = (res: HttpResponse, state: ReturnType<typeof trackAbort>, reply: JsonReply): void => sendJson(res, state, reply);

/** An error as logs may show it: name, code and message, with any SQL parameters cut off. */
export function loggableError(err: unknown): { name: string; message: string; code?: string } {
  if (!(err instanceof Error)) return { name: 'unknown', message: String(err).slice(0, 200) };
  const cause = err.cause instanceof Error ? err.cause : null;
  const source = cause ?? err;
  const message = source.message.split(/\bparams:/)[0]!.slice(0, 500);
  const code = (source as { code?: unknown }).code;
  return typeof code === 'string' ? { name: source.name, message, code } : { name: source.name, message };
}

export function registerJsonRoutes<Reply>(app: TemplatedApp, routes: readonly JsonRoute<Reply>[], deps: JsonRouteDeps<Reply>): void {
  for (const route of routes) {
    const hasBody = route.method === 'post' || route.method === 'patch' || route.method === 'put';
    app[route.method](route.pattern, (res, req) => {
      const state = trackAbort(res);
      // uWS request objects are valid only until the handler returns: copy what is needed now.
      const params = Array.from({ length: route.params }, (_, i) => decodeURIComponent(req.getParameter(i) ?? ''));
      const query = new URLSearchParams(req.getQuery() ?? '');
      const tenantResolution = deps.resolveTenant(req.getHeader('authorization'));
      const bodyRead = hasBody ? readBody(res, deps.bodyBytesMax) : Promise.resolve(null);
      (async () => {
        const raw = await bodyRead;
        const tenant = await tenantResolution;
        if (!tenant.ok) {
          sendJson(res, state, { status: tenant.status, body: { error: tenant.error } });
          return;
        }
        let body: unknown = {};
        if (raw !== null && raw.length > 0) {
          try {
            body = JSON.parse(raw.toString('utf8'));
          } catch {
            sendJson(res, state, { status: 400, body: apiError('TG_BODY_MALFORMED', 'the body is not valid JSON') });
            return;
          }
        }
        deps.send(res, state, await route.handle({ tenantId: tenant.tenantId, params, query, body }));
      })().catch((err: unknown) => {
        if (err instanceof BodyTooLargeError) {
          sendJson(res, state, { status: 413, body: apiError('TG_BODY_TOO_LARGE', err.message) });
          return;
        }
        deps.log.error({ err: loggableError(err), route: `${route.method.toUpperCase()} ${route.pattern}` }, `${deps.name} request failed`);
        sendJson(res, state, { status: 500, body: apiError('TG_INTERNAL') });
      });
    });
  }
}
