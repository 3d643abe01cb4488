/**
 * The distributed stack's definition: docker-compose.yml passes
 * `docker-compose config`, every Tollgate service's environment validates
 * against the config schema (platform/config.ts), commands and roles exist,
 * Kafka topics match the ones the code expects, and the Dockerfile ships
 * every folder the CLI imports, as a non-root user with a health check.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, SETTINGS } from '../platform/config.ts';
import { DEFAULT_TOPICS, projectRoot } from '../scripts/infra.ts';
import { composeConfig, DOCKER_COMPOSE, tollgateServices } from './compose.ts';
import { parseRoles } from './serve.ts';

const SETTING_NAMES = new Set(Object.values(SETTINGS).map((s) => s.env));

describe('docker-compose.yml', () => {
  it('passes docker-compose config', () => {
    // Throws (non-zero exit) with docker-compose's own message on any error.
    execFileSync(DOCKER_COMPOSE, ['config', '--quiet'], { cwd: projectRoot, stdio: 'pipe', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  });

  const services = tollgateServices(composeConfig());

  it('runs ingest ×2, rater ×2, the API, the invoicer and the router gateway from one image, after migrate', () => {
    const byCommand = (command: string): string[] => services.filter((s) => s.command.join(' ') === command).map((s) => s.name);
    expect(byCommand('serve --role ingest').length).toBeGreaterThanOrEqual(2);
    expect(byCommand('serve --role rater').length).toBeGreaterThanOrEqual(2);
    expect(byCommand('serve --role api')).toHaveLength(1);
    expect(byCommand('invoicer')).toHaveLength(1);
    expect(byCommand('router-gateway')).toHaveLength(1);
    expect(byCommand('migrate')).toEqual(['migrate']);
    const config = composeConfig();
    for (const s of services.filter((x) => x.longRunning)) {
      expect(config.services[s.name]!.depends_on?.migrate?.condition, s.name).toBe('service_completed_successfully');
      expect(config.services[s.name]!.depends_on?.['kafka-init']?.condition, s.name).toBe('service_completed_successfully');
    }
  });

  it.each(services.map((s) => [s.name, s] as const))('%s: every TOLLGATE_* variable is a setting of platform/config.ts and the whole environment validates', (_name, service) => {
    const unknown = Object.keys(service.env).filter((k) => k.startsWith('TOLLGATE_') && !SETTING_NAMES.has(k));
    expect(unknown).toEqual([]);
    const config = loadConfig(service.env);
    expect(config.httpHost).toBe('0.0.0.0');
    expect(config.authMode).toBe('required');
  });

  it('gives the router gateway a 32-byte credential key and publishes its RADIUS ports', () => {
    const gateway = services.find((s) => s.name === 'router-gateway')!;
    const config = loadConfig(gateway.env);
    expect(Buffer.from(config.routerSecretKey, 'base64').length).toBe(32);
    const ports = (composeConfig().services['router-gateway'] as { ports?: { target: number; protocol?: string }[] }).ports ?? [];
    const published = ports.map((p) => `${p.target}/${p.protocol ?? 'tcp'}`);
    expect(published).toEqual(expect.arrayContaining([`${config.radiusAuthPort}/udp`, `${config.radiusAcctPort}/udp`]));
  });

  it('leaves scheduled invoice runs to the invoicer service alone (api replicas do not run them)', () => {
    const scheduling = services.filter((s) => s.longRunning && s.command[0] !== 'router-gateway' && loadConfig(s.env).invoicerCron !== 'off'
      && (s.command[0] === 'invoicer' || s.command.join(' ').includes('api')));
    expect(scheduling.map((s) => s.name)).toEqual(['invoicer']);
  });

  it('names only commands and roles the tollgate CLI has', () => {
    const cli = readFileSync(join(projectRoot, 'cli', 'tollgate.ts'), 'utf8');
    for (const s of services) {
      const [command, ...args] = s.command;
      expect(cli.includes(`case '${command}':`), `${s.name}: cli/tollgate.ts has no command "${command}"`).toBe(true);
      if (command === 'serve') expect(parseRoles(args[args.indexOf('--role') + 1] ?? '').size, s.name).toBeGreaterThan(0);
    }
  });

  it('creates the Kafka topics the code uses, with the local broker\'s partition counts (usage.events ≥ 3)', () => {
    const init = composeConfig().services['kafka-init']!;
    const script = Array.isArray(init.command) ? init.command.join('\n') : init.command ?? '';
    const loop = /for spec in ([^;]+);/.exec(script)?.[1] ?? '';
    const specs = Object.fromEntries([...loop.matchAll(/([a-z.]+):(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
    expect(specs).toEqual(DEFAULT_TOPICS);
    expect(specs['usage.events']).toBeGreaterThanOrEqual(3);
  });

  it('gives every backing and Tollgate service a health check, except one-shot jobs', () => {
    const config = composeConfig();
    for (const [name, service] of Object.entries(config.services)) {
      if (service.restart === 'no') continue;
      // Tollgate services inherit the image's HEALTHCHECK (Dockerfile).
      if (service.image === 'tollgate:local') continue;
      expect(service.healthcheck?.test, name).toBeDefined();
    }
  });
});

/** Top-level folders and npm packages reachable by imports from `entry` (static and dynamic; type-only imports excluded). */
function importGraph(entry: string): { folders: Set<string>; packages: Set<string> } {
  const seen = new Set<string>();
  const folders = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    folders.add(relative(projectRoot, file).split('/')[0]!);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/^(?:import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]/gm)) {
      if (match[1]) continue;
      const specifier = (match[2] ?? match[3])!;
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        if (/\.(ts|mjs|js)$/.test(target)) visit(target);
      } else if (!specifier.startsWith('node:')) {
        packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);
      }
    }
  };
  visit(entry);
  return { folders, packages };
}

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(projectRoot, 'Dockerfile'), 'utf8');
  const dockerignore = readFileSync(join(projectRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

  it('is multi-stage, runs as a non-root user, has a health check and runs the tollgate CLI', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBeDefined();
    expect(['root', '0']).not.toContain(users.at(-1));
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\/healthz/ms);
    expect(dockerfile).toMatch(/^ENTRYPOINT \[.*"cli\/tollgate\.ts"\]/m);
  });

  const graph = importGraph(join(projectRoot, 'cli', 'tollgate.ts'));

  it('installs every package the CLI imports as a production dependency (the image omits devDependencies)', () => {
    const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(graph.packages.size).toBeGreaterThan(3);
    for (const name of graph.packages) expect(Object.keys(manifest.dependencies), name).toContain(name);
  });

  it('copies every folder the CLI imports, and .dockerignore keeps none of them out', () => {
    const folders = graph.folders;
    const copied = new Set([...dockerfile.matchAll(/^COPY (?:--\S+ )*(\S+) \.\/\S*$/gm)].map((m) => m[1]!));
    for (const folder of folders) {
      expect(copied, `Dockerfile COPY ${folder}`).toContain(folder);
      expect(dockerignore, `.dockerignore excludes ${folder}`).not.toContain(folder);
    }
  });
});
