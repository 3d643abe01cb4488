/**
 * `tollgate vouchers`: its pure helpers (flag parsing, progress output) and
 * the command itself run as a real process against the test Postgres.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createProgress, parseBytes, parseDuration, parseMajorUnits } from '../../cli/vouchers.ts';
import { projectRoot } from '../../scripts/infra.ts';

const TENANT = 'itest-vouchers-cli';

describe('vouchers CLI flags', () => {
  const rows: { parse: (text: string) => bigint | null | undefined; text: string; value: bigint | null | undefined; why: string }[] = [
    { parse: parseMajorUnits, text: '5000', value: 5_000_000_000n, why: 'whole units' },
    { parse: parseMajorUnits, text: '2.5', value: 2_500_000n, why: 'decimals are exact, never floats' },
    { parse: parseMajorUnits, text: '0.1234567', value: null, why: 'finer than a micro-unit' },
    { parse: parseMajorUnits, text: '-1', value: null, why: 'no negative prices' },
    { parse: parseBytes, text: '1G', value: 1024n ** 3n, why: 'RouterOS counts 1G as 1024^3 bytes' },
    { parse: parseBytes, text: '500MB', value: 500n * 1024n ** 2n, why: 'a trailing B is accepted' },
    { parse: parseBytes, text: 'unlimited', value: null, why: 'no data quota' },
    { parse: parseBytes, text: '1.5G', value: undefined, why: 'fractions are refused' },
    { parse: parseDuration, text: '1d', value: 86_400n, why: 'days' },
    { parse: parseDuration, text: '90', value: 90n, why: 'plain seconds' },
    { parse: parseDuration, text: '1y', value: undefined, why: 'years are not a unit' },
  ];
  for (const { parse, text, value, why } of rows) {
    it(`${parse.name}("${text}") is ${String(value)}: ${why}`, () => expect(parse(text)).toBe(value));
  }
});

describe('progress output', () => {
  function sink(isTTY: boolean): { write: (s: string) => void; isTTY: boolean; text: () => string } {
    let out = '';
    return { write: (s) => { out += s; }, isTTY, text: () => out };
  }

  it('redraws one bar in place on a terminal, at most every redraw interval, and ends the line when done', () => {
    let nowMs = 0;
    const tty = sink(true);
    const progress = createProgress(tty, 'generating', { now: () => nowMs, redrawMs: 100, width: 10 });
    progress.update(0, 1000);
    nowMs = 50;
    progress.update(400, 1000);
    nowMs = 150;
    progress.update(500, 1000);
    progress.finish(1000, 1000);
    expect(tty.text()).toBe('\rgenerating [----------]   0% 0/1000\rgenerating [#####-----]  50% 500/1000\rgenerating [##########] 100% 1000/1000\n');
  });

  it('writes whole log lines elsewhere, at most one per interval, and the final figures once', () => {
    let nowMs = 0;
    const log = sink(false);
    const progress = createProgress(log, 'exporting', { now: () => nowMs, logEveryMs: 2000 });
    for (let done = 1000; done <= 10_000; done += 1000) {
      progress.update(done, 10_000);
      nowMs += 700;
    }
    progress.finish(10_000, 10_000);
    expect(log.text().split('\n').filter(Boolean)).toEqual([
      'exporting: 1000/10000 (10%)', 'exporting: 4000/10000 (40%)', 'exporting: 7000/10000 (70%)', 'exporting: 10000/10000 (100%)',
    ]);
    expect(log.text()).not.toContain('\r');
  });
});

describe('tollgate vouchers (a real process on the test database)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-vouchers-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const infra = inject('infra');
    return new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'cli/tollgate.ts', 'vouchers', ...args, '--tenant', TENANT], {
        cwd: projectRoot,
        env: { ...process.env, TOLLGATE_PG_URL: infra.postgresUrl, TOLLGATE_CLICKHOUSE_URL: infra.clickhouseUrl,
          TOLLGATE_KAFKA_BROKERS: infra.kafkaBrokers.join(','), TOLLGATE_LOG_LEVEL: 'silent' },
      }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    });
  }

  it('adds a profile, generates a batch into a CSV with progress log lines, lists it, disables a voucher by code and exports by status', async () => {
    const added = await run('profile-add', '--name', '1GB-DAILY', '--currency', 'UGX', '--price', '5000', '--data', '1G', '--validity', '1d', '--rate-limit', '2M/2M');
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ name: '1GB-DAILY', priceMicros: '5000000000', dataQuotaBytes: '1073741824' });

    const csvPath = join(dir, 'batch.csv');
    const generated = await run('generate', '--profile', '1GB-DAILY', '--count', '500', '--prefix', 'CLI', '--out', csvPath);
    expect(generated.code).toBe(0);
    expect(JSON.parse(generated.stdout)).toMatchObject({ profile: '1GB-DAILY', count: 500, created: true });
    // Not a terminal: whole progress lines on stderr, no carriage returns.
    expect(generated.stderr).toMatch(/^generating 500 vouchers: 500\/500 \(100%\)$/m);
    expect(generated.stderr).not.toContain('\r');
    const lines = readFileSync(csvPath, 'utf8').trimEnd().split('\r\n');
    expect(lines).toHaveLength(501);
    const codes = lines.slice(1).map((line) => line.split(',')[1]!);
    expect(new Set(codes).size).toBe(500);
    // Codes go to the CSV file only, never to the terminal.
    for (const code of codes.slice(0, 20)) expect(generated.stderr + generated.stdout).not.toContain(code);

    const listed = await run('list', '--status', 'unused', '--limit', '1');
    expect(listed.code).toBe(0);
    const [header, first] = listed.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^id\s+serial\s+code\s+status\s+customer\s+expires_at$/);
    expect(first).toMatch(/^[0-9a-f-]{36}\s+1\s+…[A-Z2-9]{4}\s+unused\s+-\s+-$/);
    expect(listed.stderr).toMatch(/^more: --cursor \d+$/m);

    const disabled = await run('disable', '--code', codes[1]!.toLowerCase(), '--reason', 'misprint');
    expect(disabled).toMatchObject({ code: 0, stdout: expect.stringMatching(/^disabled [0-9a-f-]{36} \(…[A-Z2-9]{4}\)$/m) });

    const exported = await run('export', '--status', 'disabled');
    expect(exported.code).toBe(0);
    const exportedLines = exported.stdout.trimEnd().split('\r\n');
    expect(exportedLines).toHaveLength(2);
    expect(exportedLines[1]).toMatch(new RegExp(`^2,${codes[1]},1GB-DAILY,5000,UGX,1 GB,unlimited,1 day,2M/2M,1,disabled,`));
    expect(exported.stderr).toMatch(/^exported 1 vouchers$/m);
  });

  it('exits 1 with the coded error for a refusal and 2 with the usage for a bad command line', async () => {
    const refused = await run('generate', '--profile', 'NO-SUCH', '--count', '5');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/TG_VOUCHER_PROFILE_NOT_FOUND/);
    const usage = await run('generate', '--count', '5');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--profile is required[\s\S]*tollgate vouchers generate/);
  });
});
