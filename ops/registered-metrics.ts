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

export interface RegisteredMetric { name: string; kind: 'counter' | 'gauge' | 'histogram'; file: string }

const SKIP_DIRS = new Set(['node_modules', '.state', 'build', '.git', 'dist', 'coverage']);
const REGISTRATION = /\b(counter|gauge|histogram)\(\s*['"`](tollgate_[a-z0-9_]+)['"`]/g;

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
      metrics.set(match[2]!, { name: match[2]!, kind: match[1] as RegisteredMetric['kind'], file: relative(projectRoot, file) });
    }
  }
  // prom-client's default metrics, registered by platform/metrics.ts with the tollgate_process_ prefix.
  for (const metric of registry.getMetricsAsArray()) {
    const name = (metric as unknown as { name: string }).name;
    if (name.startsWith('tollgate_process_') && !metrics.has(name)) metrics.set(name, { name, kind: 'gauge', file: 'platform/metrics.ts (default metrics)' });
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
