/**
 * The Prometheus metric names the code registers (through platform/metrics.ts'
 * counter/gauge/histogram, plus prom-client's default process metrics), and
 * the names a PromQL expression refers to — so rules and dashboards can be
 * checked against what services actually export.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { registry } from '../platform/metrics.ts';
import { projectRoot } from '../scripts/infra.ts';

export interface RegisteredMetric { name: string; kind: 'counter' | 'gauge' | 'histogram'; file: string; labels: string[] }

const SKIP_DIRS = new Set(['node_modules', '.state', 'build', '.git', 'dist', 'coverage']);
// counter(name, help, [labels]) · gauge(name, help, [labels]) · histogram(name, help, buckets, [labels])
const REGISTRATION = /\b(counter|gauge|histogram)\(\s*['"`](tollgate_[a-z0-9_]+)['"`]\s*,\s*(['"`])(?:\\.|(?!\3).)*\3\s*(?:,\s*(?:[A-Z_][A-Z0-9_]*|\[[-\d.,\s_e*]*\]))?\s*(?:,\s*\[([^\]]*)\])?/g;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (SKIP_DIRS.has(entry)) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (entry.endsWith('.ts') && !entry.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

export function registeredMetrics(): Map<string, RegisteredMetric> {
  const metrics = new Map<string, RegisteredMetric>();
  for (const file of sourceFiles(projectRoot)) {
    for (const match of readFileSync(file, 'utf8').matchAll(REGISTRATION)) {
      const labels = [...(match[4] ?? '').matchAll(/['"`]([a-z_][a-z0-9_]*)['"`]/g)].map((l) => l[1]!);
      metrics.set(match[2]!, { name: match[2]!, kind: match[1] as RegisteredMetric['kind'], file: relative(projectRoot, file), labels });
    }
  }
  // prom-client's default metrics, registered by platform/metrics.ts with the tollgate_process_ prefix.
  for (const metric of registry.getMetricsAsArray()) {
    const name = (metric as unknown as { name: string }).name;
    const labels = (metric as unknown as { labelNames?: string[] }).labelNames ?? [];
    if (name.startsWith('tollgate_process_') && !metrics.has(name)) metrics.set(name, { name, kind: 'gauge', file: 'platform/metrics.ts (default metrics)', labels });
  }
  return metrics;
}

/** Metric names in a PromQL expression (recording-rule names contain ':' and are not metrics). */
export function metricNamesIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...new Set(withoutStrings.match(/\btollgate_[a-z0-9_]+\b/g) ?? [])];
}

/** Resolves `x_bucket`/`x_sum`/`x_count` of a histogram `x` (and counters' `_total` is part of their name). */
export function isRegistered(name: string, metrics: Map<string, RegisteredMetric>): boolean {
  if (metrics.has(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && metrics.get(base)?.kind === 'histogram';
}

/** Labels Prometheus itself adds or histograms carry. */
const TARGET_LABELS = new Set(['job', 'instance', 'le', '__name__']);

/**
 * Labels an expression groups by (`by (…)`, `without (…)`) or selects on (`{label=…}`) that no metric of the
 * expression has: such a panel or rule silently shows nothing. Coarse (per expression, not per sub-expression),
 * which is enough to catch a misspelt or renamed label.
 */
export function unknownLabelsIn(expr: string, metrics: Map<string, RegisteredMetric>): string[] {
  const names = metricNamesIn(expr).map((m) => metrics.get(m) ?? metrics.get(m.replace(/_(bucket|sum|count)$/, '')));
  const known = new Set([...TARGET_LABELS, ...names.flatMap((m) => m?.labels ?? [])]);
  const used = new Set<string>();
  for (const m of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) m[1]!.split(',').map((l) => l.trim()).filter(Boolean).forEach((l) => used.add(l));
  for (const m of expr.matchAll(/\{([^}]*)\}/g)) for (const l of m[1]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) used.add(l[1]!);
  return [...used].filter((l) => !known.has(l));
}
