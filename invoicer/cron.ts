/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week,
 * UTC): `*`, numbers, lists `1,15`, ranges `1-5` and steps `*\/10`, `0-30/5`.
 * Day-of-month and day-of-week both restricted: either matches (classic cron).
 */
const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 6 },
] as const;

export interface CronSchedule {
  fields: Set<number>[];
  domRestricted: boolean;
  dowRestricted: boolean;
}

export class CronError extends Error {}

export function parseCron(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new CronError(`cron "${expression}" needs 5 fields (minute hour day month weekday), got ${parts.length}`);
  const fields = parts.map((part, i) => parseField(part, FIELDS[i]!));
  return { fields, domRestricted: parts[2] !== '*', dowRestricted: parts[4] !== '*' };
}

function parseField(text: string, spec: (typeof FIELDS)[number]): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const match = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(item);
    if (!match) throw new CronError(`cron ${spec.name} "${item}" is not *, N, N-M or a step of them`);
    const step = match[2] === undefined ? 1 : Number(match[2]);
    let [from, to]: number[] = [spec.min, spec.max];
    if (match[1] !== '*') {
      const [a, b] = match[1]!.split('-').map(Number);
      from = a!;
      to = b ?? (match[2] === undefined ? a! : spec.max);
    }
    if (step < 1 || from! < spec.min || to! > spec.max || from! > to!) throw new CronError(`cron ${spec.name} "${item}" is out of ${spec.min}-${spec.max}`);
    for (let v = from!; v <= to!; v += step) values.add(v);
  }
  return values;
}

export function cronMatches(schedule: CronSchedule, at: Date): boolean {
  const [minute, hour, dom, month, dow] = schedule.fields;
  if (!minute!.has(at.getUTCMinutes()) || !hour!.has(at.getUTCHours()) || !month!.has(at.getUTCMonth() + 1)) return false;
  const domOk = dom!.has(at.getUTCDate());
  const dowOk = dow!.has(at.getUTCDay());
  if (schedule.domRestricted && schedule.dowRestricted) return domOk || dowOk;
  return domOk && dowOk;
}

/** The first minute strictly after `afterMs` the schedule matches (searches up to a year ahead). */
export function nextCronTime(schedule: CronSchedule, afterMs: number): Date {
  const t = new Date(Math.floor(afterMs / 60_000) * 60_000 + 60_000);
  for (let i = 0; i < 366 * 24 * 60; i += 1) {
    if (cronMatches(schedule, t)) return t;
    t.setTime(t.getTime() + 60_000);
  }
  throw new CronError('cron schedule never matches within a year');
}
