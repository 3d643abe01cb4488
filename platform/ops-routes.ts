/** `/healthz` (process alive), `/readyz` (dependencies answer), `/metrics` (Prometheus). */
import { registry } from './metrics.ts';
import { sendJson, sendText, trackAbort, type TemplatedApp } from './uws.ts';

export type ReadinessCheck = () => Promise<void>;

export function registerOpsRoutes(app: TemplatedApp, checks: Record<string, ReadinessCheck>, isDraining: () => boolean): void {
  app.get('/healthz', (res) => {
    sendJson(res, trackAbort(res), { status: 200, body: { status: 'ok' } });
  });
  app.get('/readyz', (res) => {
    const state = trackAbort(res);
    if (isDraining()) {
      sendJson(res, state, { status: 503, body: { status: 'draining' } });
      return;
    }
    const names = Object.keys(checks);
    Promise.allSettled(names.map((name) => checks[name]!())).then((results) => {
      const failures: Record<string, string> = {};
      results.forEach((result, i) => {
        if (result.status === 'rejected') failures[names[i]!] = result.reason instanceof Error ? result.reason.message : String(result.reason);
      });
      const ready = Object.keys(failures).length === 0;
      sendJson(res, state, { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'not ready', failures } });
    });
  });
  app.get('/metrics', (res) => {
    const state = trackAbort(res);
    registry.metrics().then((text) => sendText(res, state, 200, registry.contentType, text),
      () => sendText(res, state, 500, 'text/plain', 'metrics collection failed'));
  });
}
