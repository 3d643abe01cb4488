/**
 * The one module that imports uWebSockets.js, so a newer build can be swapped
 * in (only @trufflesuite/uws-js-unofficial loads on Debian 12's glibc).
 * Adds what every route needs: bounded body reading, JSON replies inside
 * cork, abort tracking.
 */
import uWS from '@trufflesuite/uws-js-unofficial';

export type HttpResponse = uWS.HttpResponse;
export type HttpRequest = uWS.HttpRequest;
export type TemplatedApp = uWS.TemplatedApp;
export type WebSocket<T> = uWS.WebSocket<T>;

export function createApp(): TemplatedApp {
  return uWS.App();
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK', 201: '201 Created', 202: '202 Accepted', 400: '400 Bad Request', 401: '401 Unauthorized', 404: '404 Not Found', 409: '409 Conflict',
  405: '405 Method Not Allowed', 413: '413 Payload Too Large', 415: '415 Unsupported Media Type',
  429: '429 Too Many Requests', 500: '500 Internal Server Error', 503: '503 Service Unavailable',
};

export function statusLine(status: number): string {
  return STATUS_TEXT[status] ?? `${status}`;
}

/** Tracks whether the client went away; uWS forbids touching an aborted response. */
export function trackAbort(res: HttpResponse): { aborted: boolean } {
  const state = { aborted: false };
  res.onAborted(() => { state.aborted = true; });
  return state;
}

export function sendJson(res: HttpResponse, state: { aborted: boolean }, reply: Reply): void {
  if (state.aborted) return;
  const payload = JSON.stringify(reply.body, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  res.cork(() => {
    res.writeStatus(statusLine(reply.status));
    res.writeHeader('Content-Type', 'application/json');
    for (const [name, value] of Object.entries(reply.headers ?? {})) res.writeHeader(name, value);
    res.end(payload);
  });
}

export function sendText(res: HttpResponse, state: { aborted: boolean }, status: number, contentType: string, body: string): void {
  if (state.aborted) return;
  res.cork(() => {
    res.writeStatus(statusLine(status));
    res.writeHeader('Content-Type', contentType);
    res.end(body);
  });
}

export class BodyTooLargeError extends Error {
  constructor(readonly bytesMax: number) {
    super(`request body exceeds ${bytesMax} bytes`);
  }
}

/**
 * Reads the whole body, copying each chunk (uWS frees it after the callback).
 * Rejects once the body passes `bytesMax`, without buffering the rest.
 */
export function readBody(res: HttpResponse, bytesMax: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytesIn = 0;
    let done = false;
    res.onData((chunk, isLast) => {
      if (done) return;
      bytesIn += chunk.byteLength;
      if (bytesIn > bytesMax) {
        done = true;
        reject(new BodyTooLargeError(bytesMax));
        return;
      }
      chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) {
        done = true;
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytesIn));
      }
    });
  });
}

export function listen(app: TemplatedApp, host: string, port: number): Promise<{ port: number; close: () => void }> {
  return new Promise((resolve, reject) => {
    app.listen(host, port, (socket) => {
      if (!socket) {
        reject(new Error(`cannot listen on ${host}:${port} (port in use?)`));
        return;
      }
      resolve({ port: uWS.us_socket_local_port(socket), close: () => uWS.us_listen_socket_close(socket) });
    });
  });
}
