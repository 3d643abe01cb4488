/**
 * deploy/prometheus: promtool (Debian's `prometheus` package) accepts the
 * configuration and rules; every metric a rule or a Grafana Prometheus panel
 * names is registered in the code; every long-running Tollgate service of the
 * compose stack is scraped; the alerts the operations issue asks for exist.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../scripts/infra.ts';
import { dashboardQueries, loadDashboards } from './dashboards.ts';
import { isRegistered, metricNamesIn, registeredMetrics, unknownLabelsIn } from './registered-metrics.ts';
import { composeConfig, tollgateServices } from './compose.ts';

const PROMETHEUS_DIR = join(projectRoot, 'deploy', 'prometheus');
const PROMTOOL = process.env.TOLLGATE_PROMTOOL ?? '/usr/bin/promtool';

interface Rule { record?: string; alert?: string; expr: string; labels?: Record<string, string> }
const rules = (yaml.load(readFileSync(join(PROMETHEUS_DIR, 'rules.yml'), 'utf8')) as { groups: { name: string; rules: Rule[] }[] })
  .groups.flatMap((g) => g.rules);
const prometheusConfig = yaml.load(readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as {
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
};

describe('deploy/prometheus', () => {
  it('passes promtool check config (which checks the rule files too)', () => {
    expect(existsSync(PROMTOOL), `${PROMTOOL} missing: apt-get install prometheus (see .ci/run)`).toBe(true);
    const output = execFileSync(PROMTOOL, ['check', 'config', join(PROMETHEUS_DIR, 'prometheus.yml')], { encoding: 'utf8' });
    expect(output).toContain('SUCCESS');
  });

  it('names only metrics the code registers, in rules and in Grafana\'s Prometheus panels', () => {
    const registered = registeredMetrics();
    const promQueries = loadDashboards().flatMap(({ file, dashboard }) => dashboardQueries(file, dashboard))
      .filter((q) => q.datasource.type === 'prometheus');
    const uses = [
      ...rules.map((r) => ({ where: `rules.yml ${r.record ?? r.alert}`, expr: r.expr })),
      ...promQueries.map((q) => ({ where: `${q.dashboard} / ${q.where}`, expr: q.text })),
    ];
    const missing = uses.flatMap((u) => metricNamesIn(u.expr).filter((m) => !isRegistered(m, registered)).map((m) => `${m} (${u.where})`));
    expect(missing).toEqual([]);
    const badLabels = uses.flatMap((u) => unknownLabelsIn(u.expr, registered).map((l) => `label ${l} (${u.where})`));
    expect(badLabels).toEqual([]);
    expect(uses.length).toBeGreaterThan(20);
  });

  it('has the alerts the operations runbook relies on', () => {
    const alerts = new Set(rules.flatMap((r) => (r.alert ? [r.alert] : [])));
    for (const name of ['RaterConsumerLagHigh', 'IngestHigh5xxRate', 'RaterCheckpointStale', 'LedgerInvariantViolated', 'WebhookDeadLetters', 'RouterDown', 'TollgateServiceDown']) {
      expect(alerts, name).toContain(name);
    }
    for (const rule of rules.filter((r) => r.alert)) expect(['warning', 'critical'], rule.alert).toContain(rule.labels?.severity);
  });

  it('scrapes every long-running Tollgate service of docker-compose.yml on its HTTP port', () => {
    const targets = new Set(prometheusConfig.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets)));
    const services = tollgateServices(composeConfig()).filter((s) => s.longRunning);
    expect(services.length).toBeGreaterThanOrEqual(7);
    for (const service of services) expect(targets, service.name).toContain(`${service.name}:${service.env.TOLLGATE_HTTP_PORT}`);
  });
});

describe('registeredMetrics and unknownLabelsIn', () => {
  const registered = registeredMetrics();

  it('reads label names from the registrations, histograms included', () => {
    expect(registered.get('tollgate_ingest_requests_total')?.labels).toEqual(['status']);
    expect(registered.get('tollgate_router_cutoffs_total')?.labels).toEqual(['router', 'method', 'outcome']);
    expect(registered.get('tollgate_ingest_produce_seconds')).toMatchObject({ kind: 'histogram', labels: [] });
  });

  it('flags a label no metric of the expression has', () => {
    expect(unknownLabelsIn('sum by (status) (rate(tollgate_ingest_requests_total{status=~"5.."}[5m]))', registered)).toEqual([]);
    expect(unknownLabelsIn('sum by (code) (rate(tollgate_ingest_requests_total[5m]))', registered)).toEqual(['code']);
    expect(unknownLabelsIn('tollgate_router_up{routr="a"}', registered)).toEqual(['routr']);
    expect(unknownLabelsIn('histogram_quantile(0.99, sum by (le) (rate(tollgate_rater_batch_seconds_bucket[5m])))', registered)).toEqual([]);
  });
});

describe('metricNamesIn', () => {
  it('reads metric names and ignores label values and recording rules', () => {
    expect(metricNamesIn('sum(rate(tollgate_a_total{x="tollgate_not_a_metric"}[1m])) / tollgate:b:rate1m + tollgate_c_bucket'))
      .toEqual(['tollgate_a_total', 'tollgate_c_bucket']);
  });
});
