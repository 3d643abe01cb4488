/**
 * Reads the Grafana dashboards and datasources of deploy/grafana (for tests
 * and tooling): every query of every panel and template variable, with the
 * datasource it goes to.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { projectRoot } from '../scripts/infra.ts';

export const GRAFANA_DIR = join(projectRoot, 'deploy', 'grafana');

export interface DatasourceRef { type: string; uid: string }

export interface DashboardQuery {
  dashboard: string;
  /** Panel title, or `variable <name>`. */
  where: string;
  datasource: DatasourceRef;
  /** SQL for ClickHouse, PromQL for Prometheus. */
  text: string;
}

interface Target { datasource?: DatasourceRef; rawSql?: string; expr?: string; refId?: string }
interface Panel { title?: string; type: string; datasource?: DatasourceRef; targets?: Target[]; panels?: Panel[] }
interface Variable { name: string; type: string; datasource?: DatasourceRef; query?: string | { query: string } }
export interface Dashboard { uid: string; title: string; panels: Panel[]; templating?: { list: Variable[] } }

export function loadDashboards(): { file: string; dashboard: Dashboard }[] {
  const dir = join(GRAFANA_DIR, 'dashboards');
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Dashboard }));
}

export function dashboardQueries(file: string, dashboard: Dashboard): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  const visit = (panels: Panel[]): void => {
    for (const panel of panels) {
      if (panel.panels) visit(panel.panels);
      for (const target of panel.targets ?? []) {
        const datasource = target.datasource ?? panel.datasource;
        const text = target.rawSql ?? target.expr;
        if (!datasource) throw new Error(`${file}: panel "${panel.title}" target ${target.refId} names no datasource`);
        if (text === undefined) throw new Error(`${file}: panel "${panel.title}" target ${target.refId} has neither rawSql nor expr`);
        queries.push({ dashboard: file, where: panel.title ?? panel.type, datasource, text });
      }
    }
  };
  visit(dashboard.panels);
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query' || !variable.datasource || variable.query === undefined) continue;
    const text = typeof variable.query === 'string' ? variable.query : variable.query.query;
    queries.push({ dashboard: file, where: `variable ${variable.name}`, datasource: variable.datasource, text });
  }
  return queries;
}

export function provisionedDatasources(): { name: string; uid: string; type: string }[] {
  const file = join(GRAFANA_DIR, 'provisioning', 'datasources', 'tollgate.yml');
  const doc = yaml.load(readFileSync(file, 'utf8')) as { datasources: { name: string; uid: string; type: string }[] };
  return doc.datasources;
}

export const CLICKHOUSE_DATASOURCE_TYPE = 'grafana-clickhouse-datasource';
export const POSTGRES_DATASOURCE_TYPE = 'grafana-postgresql-datasource';
