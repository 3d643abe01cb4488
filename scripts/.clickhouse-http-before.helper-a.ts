/**
 * A loopback ClickHouse HTTP endpoint over chdb (the ClickHouse engine in-process).
 *
 * Why: no modern ClickHouse server installs here (Debian ships 18.16), but the
 * npm `chdb` package carries the 26.x engine. Serving it over the ClickHouse
 * HTTP protocol lets Tollgate use exactly the same `@clickhouse/client` code
 * against this endpoint (single-node, tests) and a real server (compose), and
 * lets several processes share one data directory, which chdb alone forbids.
 *
 * Protocol subset implemented (what @clickhouse/client uses):
 *  - GET/HEAD /ping → "Ok.\n"
 *  - POST / with `query` in the URL and/or SQL in the body; an INSERT's data
 *    follows its `FORMAT x` clause in the body.
 *  - `param_<name>` URL values → `SET param_<name>` (parsed by the engine in the
 *    same escaped text format a real server uses).
 *  - any other URL key that is a ClickHouse setting → `SET k = v` before the
 *    query and `SET k = DEFAULT` after it, so nothing leaks to the next request.
 *  - errors → HTTP 500, body "Code: N. DB::Exception: …", header
 *    X-ClickHouse-Exception-Code, as a real server answers.
 * Requests run one at a time (one chdb session).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session } from 'chdb';

/** URL keys the client sends that are not engine settings. */
const PROTOCOL_KEYS = new Set(['query', 'query_id', 'session_id', 'session_timeout', 'session_check',
  'database', 'user', 'password', 'default_format', 'compress', 'decompress', 'wait_end_of_query',
  'role', 'quota_key']);
const SETTING_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const MAX_BODY_BYTES = 512 * 1024 * 1024;

export interface ChdbHttpOptions {
  dataPath: string;
  host: string;
  port: number;
}

function sqlQuote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytesIn = 0;
    req.on('data', (chunk: Buffer) => {
      bytesIn += chunk.length;
      if (bytesIn > MAX_BODY_BYTES) {
        reject(new Error(`Code: 1000. DB::Exception: request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseError(err: unknown): { code: string; text: string } {
  const message = err instanceof Error ? err.message : String(err);
  const text = message.replace(/^Query failed: /, '');
  const code = /Code: (\d+)\./.exec(text)?.[1] ?? '1000';
  return { code, text: text.startsWith('Code:') ? text : `Code: ${code}. DB::Exception: ${text}` };
}

export function startChdbHttp(options: ChdbHttpOptions): Promise<{ close: () => Promise<void>; port: number }> {
  mkdirSync(options.dataPath, { recursive: true });
  const session = new Session(options.dataPath);
  let queue: Promise<unknown> = Promise.resolve();

  /** Runs one request's statements back to back on the shared session. */
  function runExclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = queue.then(work, work);
    queue = result.catch(() => undefined);
    return result;
  }

  async function execute(url: URL, body: Buffer): Promise<{ bytes: Uint8Array; summary: string }> {
    const urlQuery = url.searchParams.get('query') ?? '';
    const sql = urlQuery && body.length > 0 ? `${urlQuery}\n${body.toString('utf8')}` : urlQuery || body.toString('utf8');
    const sets: string[] = [];
    const resets: string[] = [];
    for (const [key, value] of url.searchParams) {
      if (PROTOCOL_KEYS.has(key) || !SETTING_NAME.test(key)) continue;
      if (key.startsWith('param_')) {
        sets.push(`${key} = ${sqlQuote(value)}`);
      } else {
        sets.push(`${key} = ${sqlQuote(value)}`);
        resets.push(`${key} = DEFAULT`);
      }
    }
    const database = url.searchParams.get('database');
    const format = url.searchParams.get('default_format') ?? 'TabSeparated';
    return runExclusive(async () => {
      if (database && database !== 'default') session.query(`USE ${database}`);
      if (sets.length > 0) session.query(`SET ${sets.join(', ')}`);
      try {
        const result = await session.queryAsync(sql, { format });
        const summary = JSON.stringify({ read_rows: String(result.rowsRead), read_bytes: String(result.bytesRead) });
        return { bytes: result.bytes(), summary };
      } finally {
        if (resets.length > 0) session.query(`SET ${resets.join(', ')}`);
        if (database && database !== 'default') session.query('USE default');
      }
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://chdb');
    if (url.pathname === '/ping' || (url.pathname === '/' && req.method === 'GET' && !url.searchParams.has('query'))) {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('Ok.\n');
      return;
    }
    try {
      const body = req.method === 'POST' ? await readBody(req) : Buffer.alloc(0);
      const { bytes, summary } = await execute(url, body);
      res.writeHead(200, {
        'Content-Type': 'text/plain; charset=UTF-8',
        'X-ClickHouse-Summary': summary,
        'X-ClickHouse-Query-Id': url.searchParams.get('query_id') ?? '',
      });
      res.end(bytes);
    } catch (err) {
      const { code, text } = parseError(err);
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Exception-Code': code });
      res.end(`${text}\n`);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      resolve({
        port,
        close: () => new Promise<void>((done) => {
          server.close(() => {
            session.cleanup();
            done();
          });
          server.closeAllConnections();
        }),
      });
    });
  });
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const [dataPath, portText, host = '127.0.0.1'] = process.argv.slice(2);
  if (!dataPath || !portText) {
    console.error('usage: clickhouse-http.ts <data-path> <port> [host]');
    process.exit(2);
  }
  const server = await startChdbHttp({ dataPath, port: Number(portText), host });
  console.error(`clickhouse-http: chdb at ${dataPath} listening on http://${host}:${server.port}`);
  const shutdown = (): void => {
    server.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
