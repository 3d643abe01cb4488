/**
 * `npm run bench -- <scenario> [options]` (see --help): runs the scenario and
 * the ceilings it compares to, prints the report as text and as one JSON
 * line on stdout, saves the JSON under bench/results/, and stops the bench
 * infrastructure unless --keep-infra.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchContext, benchLogger } from './context.ts';
import { HELP, optionsForReport, parseOptions, SCENARIOS, UsageError, type BenchOptions } from './options.ts';
import { formatReport, formatScenario, newReport, reportJsonLine, type ScenarioName, type ScenarioResult } from './report.ts';
import { plan } from './scenarios/index.ts';

const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');

async function runScenarios(ctx: BenchContext, options: BenchOptions): Promise<ScenarioResult[]> {
  const names: readonly ScenarioName[] = options.command === 'all' ? SCENARIOS : [options.command];
  const results = new Map<ScenarioName, ScenarioResult>();
  for (const definition of plan(names)) {
    const startedAt = new Date().toISOString();
    const started = performance.now();
    ctx.say(`running ${definition.name}`);
    let result: ScenarioResult;
    try {
      const outcome = await definition.run(ctx, results);
      result = { scenario: definition.name, title: definition.title(options), startedAt, wallSeconds: (performance.now() - started) / 1000, ...outcome };
    } catch (err) {
      ctx.log.error({ err, scenario: definition.name }, 'scenario failed');
      result = {
        scenario: definition.name, title: definition.title(options), ok: false, error: err instanceof Error ? err.message : String(err),
        startedAt, wallSeconds: (performance.now() - started) / 1000, figures: [], details: {}, notes: [],
      };
    }
    for (const required of definition.requires) {
      const ceiling = results.get(required);
      if (ceiling && !ceiling.ok && result.figures.length > 0) {
        result.notes.unshift(`${required} failed in this run (${ceiling.error ?? 'see above'}): comparisons to it are missing`);
      }
    }
    results.set(definition.name, result);
    process.stderr.write(`${formatScenario(result)}\n\n`);
  }
  return [...results.values()];
}

async function main(argv: string[]): Promise<number> {
  // kafkajs' one-time notice about its default partitioner: our producers pick partitions themselves.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  const options = parseOptions(argv);
  if (!options) {
    process.stdout.write(HELP);
    return 0;
  }
  const ctx = new BenchContext(options, benchLogger(process.env.TOLLGATE_LOG_LEVEL ?? 'warn'));
  const onSignal = (signal: NodeJS.Signals): void => {
    ctx.say(`${signal}: cleaning up`);
    ctx.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const report = newReport(ctx.runId, options.command, optionsForReport(options));
  try {
    report.scenarios = await runScenarios(ctx, options);
  } finally {
    await ctx.close();
  }
  const json = reportJsonLine(report);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const saved = join(RESULTS_DIR, `${report.startedAt.replace(/[:.]/g, '-')}-${options.command}.json`);
  writeFileSync(saved, `${json}\n`);
  if (options.jsonOut) writeFileSync(options.jsonOut, `${json}\n`);
  process.stdout.write(`${formatReport(report)}\n`);
  ctx.say(`JSON report saved to ${saved}`);
  process.stdout.write(`${json}\n`);
  return report.scenarios.every((s) => s.ok) ? 0 : 1;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`bench: ${err.message}\n\n${HELP}`);
    process.exit(2);
  }
  process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
