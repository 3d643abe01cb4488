/**
 * Where the two cores went: CPU time of processes (all their threads) over a
 * measured interval, from /proc (Linux), as % of one core. Tells whether the
 * load generator or the server bounded a figure, and splits the skeleton's
 * time between Tollgate, ClickHouse, Postgres and the broker.
 *
 * Postgres backends are children of the postmaster and may exit before the
 * interval ends (pgbench disconnects), so processes are polled while the
 * interval runs and each pid's last reading is kept.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

interface ProcStat {
  ppid: number;
  cpuSeconds: number;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ")".
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond() }; // utime + stime
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = Number(entry);
    if (child !== pid && procStat(child)?.ppid === pid) pids.push(child);
  }
  return pids;
}

function readPidFile(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]!.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export interface WatchedProcess {
  pid: number;
  /** Count its direct children too (Postgres backends). */
  children: boolean;
}

/** Processes of the bench infrastructure under `stateDir` (layout of scripts/infra.ts). */
export function infraProcesses(stateDir: string): Record<string, WatchedProcess> {
  const found: Record<string, WatchedProcess> = {};
  const clickhouse = readPidFile(join(stateDir, 'clickhouse', 'server.pid'));
  const kafka = readPidFile(join(stateDir, 'kafka', 'broker.pid'));
  const postgres = readPidFile(join(stateDir, 'postgres', 'data', 'postmaster.pid'));
  if (clickhouse) found.clickhouse = { pid: clickhouse, children: false };
  if (kafka) found.kafka = { pid: kafka, children: false };
  if (postgres) found.postgres = { pid: postgres, children: true };
  return found;
}

/** This process (every thread, incl. worker threads), in seconds. */
export function selfCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

const POLL_MS = 250;

/** CPU seconds the whole host spent busy (all cores; idle and iowait excluded), from /proc/stat. */
function hostBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / ticksPerSecond();
  } catch {
    return 0;
  }
}

/** Measures CPU of `processes` (and of this process as `self`) between start() and stop(). */
export class CpuMeter {
  /** name → pid → [first reading, last reading] */
  private readonly readings = new Map<string, Map<number, [number, number]>>();
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private selfAtStart = 0;
  private hostAtStart = 0;
  private first = true;

  constructor(private readonly processes: Record<string, WatchedProcess>) {}

  start(): this {
    this.startedAt = performance.now();
    this.selfAtStart = selfCpuSeconds();
    this.hostAtStart = hostBusySeconds();
    this.first = true;
    this.poll();
    this.first = false;
    this.timer = setInterval(() => this.poll(), POLL_MS);
    this.timer.unref();
    return this;
  }

  /** % of one core per name, plus `self` (this process) and `host` (every process on the box; 100 × cores at most). */
  stop(): Record<string, number> {
    if (this.timer) clearInterval(this.timer);
    this.poll();
    const wallSeconds = (performance.now() - this.startedAt) / 1000;
    const percent = (seconds: number): number => (wallSeconds > 0 ? (100 * seconds) / wallSeconds : 0);
    const out: Record<string, number> = { self: percent(selfCpuSeconds() - this.selfAtStart), host: percent(hostBusySeconds() - this.hostAtStart) };
    for (const [name, pids] of this.readings) {
      let seconds = 0;
      for (const [firstReading, last] of pids.values()) seconds += last - firstReading;
      out[name] = percent(seconds);
    }
    return out;
  }

  private poll(): void {
    for (const [name, { pid, children }] of Object.entries(this.processes)) {
      const pids = children ? [pid, ...childrenOf(pid)] : [pid];
      const byPid = this.readings.get(name) ?? new Map<number, [number, number]>();
      this.readings.set(name, byPid);
      for (const p of pids) {
        const stat = procStat(p);
        if (!stat) continue;
        const known = byPid.get(p);
        // A process first seen after start() ran entirely inside the interval.
        if (known) known[1] = stat.cpuSeconds;
        else byPid.set(p, [this.first ? stat.cpuSeconds : 0, stat.cpuSeconds]);
      }
    }
  }
}

/** The host's CPU use not accounted for by the named parts (% of one core): anything else running on the box. */
export function otherCpuPercent(cpu: Record<string, number>, ...extra: number[]): number {
  let known = extra.reduce((sum, x) => sum + x, 0);
  for (const [name, value] of Object.entries(cpu)) if (name !== 'host') known += value;
  return Math.max(0, (cpu.host ?? 0) - known);
}

/** A warning when other work on the box took a noticeable share of the CPU during a measurement. */
export function contentionNote(otherPercent: number, phase: string): string | undefined {
  if (otherPercent < 20) return undefined;
  return `other processes on the host used ${otherPercent.toFixed(0)}% of a core during ${phase}: this box was not quiet, figures are lower than on an idle one`;
}
