/**
 * The shape of benchmark results and their two printed forms: readable text
 * (one section per scenario) and one line of JSON for machines.
 *
 * Rule: a throughput figure is always printed next to the ceiling it is
 * compared to, measured in the same run, with the ratio. Only the innermost
 * ceilings (nothing cheaper to compare with) have none; they carry a
 * `reference` instead: a figure from DESIGN.md, measured elsewhere.
 */
import { cpus } from 'node:os';

export type ScenarioName = 'uws-ceiling' | 'kafka-ceiling' | 'clickhouse-ceiling' | 'postgres-ceiling' | 'ingest' | 'skeleton' | 'rater' | 'ledger' | 'radius' | 'invoicer';

/** A DESIGN §9 target: `bar` is the near-term bar, `goal` the goal; both are minimums. */
export interface Target {
  bar: number;
  goal: number;
}

export interface Comparison {
  /** `scenario/figure-id` of the ceiling. */
  ceiling: string;
  ceilingLabel: string;
  ceilingValue: number;
  ceilingUnit: string;
  /** value / ceilingValue. */
  ratio: number;
  /** DESIGN §9 target on the ratio, if there is one. */
  target?: Target;
  note?: string;
}

export interface Figure {
  id: string;
  label: string;
  value: number;
  unit: string;
  /** 'ceiling' figures are what other figures are compared to. */
  role: 'ceiling' | 'measure';
  comparisons: Comparison[];
  /** DESIGN §9 target on the value itself, if there is one. */
  target?: Target;
  /** For innermost ceilings: a reference figure measured elsewhere (not this run). */
  reference?: string;
}

export type DetailValue = string | number | boolean | null;

export interface ScenarioResult {
  scenario: ScenarioName;
  title: string;
  ok: boolean;
  error?: string;
  startedAt: string;
  wallSeconds: number;
  figures: Figure[];
  details: Record<string, DetailValue>;
  notes: string[];
}

/** What a scenario returns; the runner adds name, title and timing. */
export type ScenarioOutcome = Omit<ScenarioResult, 'scenario' | 'title' | 'startedAt' | 'wallSeconds'>;

export interface BenchReport {
  bench: 'tollgate';
  version: 1;
  runId: string;
  startedAt: string;
  host: { cpus: number; node: string; platform: string };
  command: string;
  options: Record<string, DetailValue>;
  scenarios: ScenarioResult[];
}

export function newReport(runId: string, command: string, options: Record<string, DetailValue>): BenchReport {
  return {
    bench: 'tollgate', version: 1, runId, startedAt: new Date().toISOString(),
    host: { cpus: cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` },
    command, options, scenarios: [],
  };
}

export function figureOf(result: ScenarioResult | undefined, id: string): Figure | undefined {
  return result?.figures.find((f) => f.id === id);
}

interface ComparisonExtra {
  target?: Target;
  note?: string;
}

/** A comparison of `value` against a ceiling figure of `scenario`, or undefined when that ceiling was not measured. */
export function compareTo(value: number, scenario: ScenarioName, ceiling: Figure | undefined, extra: ComparisonExtra = {}): Comparison | undefined {
  if (!ceiling || !(ceiling.value > 0)) return undefined;
  return {
    ceiling: `${scenario}/${ceiling.id}`, ceilingLabel: ceiling.label, ceilingValue: ceiling.value, ceilingUnit: ceiling.unit,
    ratio: value / ceiling.value, ...extra,
  };
}

/** A comparison of `value` against figure `id` of a ceiling scenario's result. */
export function compareWith(value: number, ceilingResult: ScenarioResult | undefined, id: string, extra: ComparisonExtra = {}): Comparison | undefined {
  return ceilingResult ? compareTo(value, ceilingResult.scenario, figureOf(ceilingResult, id), extra) : undefined;
}

/** Drops the undefined comparisons (ceilings that failed to measure). */
export function comparisons(...items: (Comparison | undefined)[]): Comparison[] {
  return items.filter((c): c is Comparison => c !== undefined);
}

// ---------------------------------------------------------------- text

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

function short(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${formatNumber(value / 1e6)}M`;
  if (abs >= 1e3) return `${formatNumber(value / 1e3)}k`;
  return formatNumber(value);
}

function targetText(value: number, target: Target, asRatio: boolean): string {
  const show = (x: number): string => (asRatio ? formatNumber(x) : short(x));
  const mark = (x: number): string => (value >= x ? 'met' : 'not met');
  return `DESIGN §9: bar ≥ ${show(target.bar)} ${mark(target.bar)}, goal ≥ ${show(target.goal)} ${mark(target.goal)}`;
}

function figureLines(f: Figure): string[] {
  const head = `  ${f.label.padEnd(46)} ${formatNumber(f.value).padStart(13)} ${f.unit}`;
  const lines: string[] = [];
  if (f.comparisons.length === 0) {
    lines.push(`${head}   [${f.role === 'ceiling' ? 'innermost ceiling' : 'no ceiling measured'}${f.reference ? `; reference, not this run: ${f.reference}` : ''}]`);
  } else {
    lines.push(`${head}${f.role === 'ceiling' ? '   [ceiling]' : ''}`);
    for (const c of f.comparisons) {
      lines.push(`      vs ${c.ceilingLabel} (${c.ceiling}) ${formatNumber(c.ceilingValue)} ${c.ceilingUnit}: ratio ${c.ratio.toFixed(3)}` +
        `${c.target ? `   ${targetText(c.ratio, c.target, true)}` : ''}${c.note ? `   (${c.note})` : ''}`);
    }
    if (f.reference) lines.push(`      reference, not this run: ${f.reference}`);
  }
  if (f.target) lines.push(`      ${targetText(f.value, f.target, false)}`);
  return lines;
}

function detailText(value: DetailValue): string {
  if (typeof value === 'number') return formatNumber(value);
  return String(value);
}

export function formatScenario(r: ScenarioResult): string {
  const lines = [`== ${r.scenario}: ${r.title} — ${r.ok ? 'ok' : 'FAILED'} (${r.wallSeconds.toFixed(1)} s) ==`];
  if (r.error) lines.push(`  error: ${r.error}`);
  for (const f of r.figures) lines.push(...figureLines(f));
  const details = Object.entries(r.details);
  if (details.length > 0) {
    lines.push('  details:');
    for (const [key, value] of details) lines.push(`    ${key.padEnd(40)} ${detailText(value)}`);
  }
  for (const note of r.notes) lines.push(`  note: ${note}`);
  return lines.join('\n');
}

export function formatReport(report: BenchReport): string {
  const head = `Tollgate bench ${report.runId} — ${report.command} — ${report.startedAt}, node ${report.host.node}, ${report.host.cpus} CPUs`;
  return [head, '', ...report.scenarios.map(formatScenario).flatMap((s) => [s, ''])].join('\n');
}

/** The machine-readable form: exactly one line. */
export function reportJsonLine(report: BenchReport): string {
  return JSON.stringify(report);
}
