/**
 * docker-compose.yml as the stack will see it: `docker-compose config`
 * (Debian's docker-compose; no container engine needed) resolves anchors,
 * merge keys and ${VAR:-default} interpolation, and its output is read here.
 */
import { execFileSync } from 'node:child_process';
import yaml from 'js-yaml';
import { projectRoot } from '../scripts/infra.ts';

export const DOCKER_COMPOSE = process.env.TOLLGATE_DOCKER_COMPOSE ?? 'docker-compose';
export const TOLLGATE_IMAGE = 'tollgate:local';

export interface ComposeService {
  image?: string;
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number | null>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
  user?: string;
}

export interface ComposeConfig { services: Record<string, ComposeService> }

let cached: ComposeConfig | undefined;

export function composeConfig(): ComposeConfig {
  // A clean environment: the defaults in the file are what is checked, not this machine's variables.
  cached ??= yaml.load(execFileSync(DOCKER_COMPOSE, ['config'], {
    cwd: projectRoot, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  })) as ComposeConfig;
  return cached;
}

export interface TollgateService {
  name: string;
  command: string[];
  env: Record<string, string>;
  /** Not a one-shot job (migrate): restarted, scraped, health-checked. */
  longRunning: boolean;
}

export function tollgateServices(config: ComposeConfig): TollgateService[] {
  return Object.entries(config.services).filter(([, s]) => s.image === TOLLGATE_IMAGE).map(([name, s]) => ({
    name,
    command: Array.isArray(s.command) ? s.command : (s.command ?? '').split(/\s+/).filter(Boolean),
    env: Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)])),
    longRunning: s.restart !== 'no',
  }));
}
