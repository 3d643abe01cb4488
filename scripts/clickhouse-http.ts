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
 *    follows its `FORMAT x` clause in the body. `INSERT INTO t [(cols)] FORMAT x`
 *    in the URL with the rows in the body (what `insert` and `exec` send) takes
 *    a faster path: the body is spooled to a file and inserted with `SELECT * FROM file()`.
 *  - `param_<name>` URL values → `SET param_<name>` (parsed by the engine in the
 *    same escaped text format a real server uses).
 *  - any other URL key that is a ClickHouse setting → `SET k = v` before the
 *    query and `SET k = DEFAULT` after it, so nothing leaks to the next request
 *    (spooled inserts carry them in their own SETTINGS clause instead).
 *  - errors → HTTP 500, body "Code: N. DB::Exception: …", header
 *    X-ClickHouse-Exception-Code, as a real server answers.
 * Requests run one at a time (one chdb session).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session } from 'chdb';

/** URL keys the client sends that are not engine settings. */
const PROTOCOL_KEYS = new Set(['query', 'query_id', 'session_id', 'session_timeout', 'session_check',
  'database', 'user', 'password', 'default_format', 'compress', 'decompress', 'wait_end_of_query',
  'role', 'quota_key']);
const SETTING_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const IDENTIFIER = SETTING_NAME;
/** An INSERT whose rows follow in the body, as @clickhouse/client sends `insert` and `exec` with values. */
const INSERT_WITH_BODY = /^\s*INSERT\s+INTO\s+([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:\(([^)]*)\))?\s*FORMAT\s+(\w+)\s*$/i;
/** Formats inserted through a spooled file; others (RowBinary, Native, …) go the SQL way. */
const FILE_INSERT_FORMATS: ReadonlySet<string> = new Set(['JSONEachRow', 'JSONCompactEachRow', 'CSV', 'CSVWithNames', 'TSV', 'TabSeparated',
  'TSVWithNames', 'TabSeparatedWithNames']);
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
  // Insert bodies are spooled here; memory-backed where the host has /dev/shm. Named by
  // port (one endpoint per port), so a crashed endpoint's leftovers go at the next start.
  const spoolRoot = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  let spoolDir: string;
  if (options.port > 0) {
    spoolDir = join(spoolRoot, `tollgate-chdb-${options.port}`);
    rmSync(spoolDir, { recursive: true, force: true });
    mkdirSync(spoolDir, { recursive: true, mode: 0o700 });
  } else {
    spoolDir = mkdtempSync(join(spoolRoot, 'tollgate-chdb-'));
  }
  let spooled = 0;
  let queue: Promise<unknown> = Promise.resolve();

  /** Runs one request's statements back to back on the shared session. */
  function runExclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = queue.then(work, work);
    queue = result.catch(() => undefined);
    return result;
  }

  /**
   * The hot path: `INSERT INTO t [(cols)] FORMAT f` in the URL and the rows in
   * the body. The body goes to a file in memory (/dev/shm) and the engine runs
   * `INSERT INTO t [(cols)] SETTINGS … SELECT * FROM file(path, f)`: no UTF-8
   * string of the whole body, no SQL text to scan, and the request's settings
   * in the statement's own SETTINGS clause, so no SET/reset round trips.
   * Measured on usage_rated rows, 10k-row inserts, chdb in-process: 13.0 µs of
   * CPU per row this way, 17.9 through chdb's raw insert (bytes handed over
   * as inline data), more through the SQL string (see bench/README.md).
   */
  function fileInsertOf(url: URL, body: Buffer): { sql: string; path: string } | undefined {
    const urlQuery = url.searchParams.get('query') ?? '';
    const database = url.searchParams.get('database');
    if (body.length === 0 || (database && database !== 'default')) return undefined;
    const match = INSERT_WITH_BODY.exec(urlQuery);
    if (!match || !FILE_INSERT_FORMATS.has(match[3]!)) return undefined;
    const columns = match[2]?.split(',').map((c) => c.trim());
    if (columns?.some((c) => !IDENTIFIER.test(c))) return undefined;
    const settings: string[] = [];
    for (const [key, value] of url.searchParams) {
      if (PROTOCOL_KEYS.has(key) || !SETTING_NAME.test(key) || key.startsWith('param_')) continue;
      settings.push(`${key} = ${sqlQuote(value)}`);
    }
    const path = join(spoolDir, `insert-${process.pid}-${++spooled}.${match[3]}`);
    const sql = `INSERT INTO ${match[1]}${columns ? ` (${columns.join(', ')})` : ''}${settings.length > 0 ? ` SETTINGS ${settings.join(', ')}` : ''} ` +
      `SELECT * FROM file(${sqlQuote(path)}, ${match[3]})`;
    return { sql, path };
  }

  async function execute(url: URL, body: Buffer): Promise<{ bytes: Uint8Array; summary: string }> {
    const insert = fileInsertOf(url, body);
    if (insert) {
      return runExclusive(async () => {
        await writeFile(insert.path, body);
        try {
          const result = await session.queryAsync(insert.sql, { format: 'TabSeparated' });
          return { bytes: result.bytes(), summary: JSON.stringify({ read_rows: String(result.rowsRead), read_bytes: String(result.bytesRead) }) };
        } finally {
          await unlink(insert.path).catch(() => undefined);
        }
      });
    }
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
            rmSync(spoolDir, { recursive: true, force: true });
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
