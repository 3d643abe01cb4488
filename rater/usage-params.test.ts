/** `GET /v1/usage` parameter checks and the range planner (pure, no servers). */
import { describe, expect, it } from 'vitest';
import { parseUsageParams } from './http-routes.ts';
import { planUsagePieces } from './usage-query.ts';

const parse = (query: string): ReturnType<typeof parseUsageParams> => parseUsageParams(new URLSearchParams(query));

describe('usage query parameters', () => {
  it.each([
    // [query, code, field, why]
    ['meter=tokens', 'TG_QUERY_PARAM_MISSING', 'subject', 'a subject is needed unless rows are grouped by subject'],
    ['subject=a', 'TG_QUERY_PARAM_MISSING', 'meter', 'quantities of different meters never add up'],
    ['subject=a&meter=m&windowSize=WEEK', 'TG_QUERY_PARAM_INVALID', 'windowSize', 'only MINUTE, HOUR, DAY have aggregates'],
    ['subject=a&meter=m&windowSize=hour', 'TG_QUERY_PARAM_INVALID', 'windowSize', 'window names are upper case, as documented'],
    ['subject=a&groupBy=model', 'TG_QUERY_PARAM_MISSING', 'meter', 'data properties belong to a meter'],
    ['subject=a&meter=m&groupBy=model;drop', 'TG_QUERY_PARAM_INVALID', 'groupBy', 'a property path is letters, digits, _ and - between dots'],
    ['subject=a&meter=m&groupBy=a,b,c,d,e,f,g', 'TG_QUERY_PARAM_INVALID', 'groupBy', 'at most six dimensions'],
    ['subject=a&meter=m&groupBy=subject,subject', 'TG_QUERY_PARAM_INVALID', 'groupBy', 'a repeated dimension is a mistake'],
    ['subject=a&meter=m&from=yesterday', 'TG_QUERY_PARAM_INVALID', 'from', 'times are RFC 3339'],
    ['subject=a&meter=m&from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', 'TG_QUERY_PARAM_INVALID', 'from', 'an empty range'],
    [`subject=${'x'.repeat(300)}&meter=m`, 'TG_QUERY_PARAM_INVALID', 'subject', 'over the length limit'],
  ])('refuses %s with %s on %s (%s)', (query, code, field) => {
    const parsed = parse(query);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatchObject({ code, field });
  });

  it('takes data properties in groupBy when a meter is named (checked against the meter at query time)', () => {
    expect(parse('subject=a&meter=m&groupBy=model,usage.region')).toMatchObject({ ok: true, query: { groupBy: ['model', 'usage.region'] } });
  });

  it('accepts grouping in place of a filter, lists given either way, and open ranges', () => {
    expect(parse('groupBy=subject&groupBy=meter&windowSize=DAY')).toEqual({
      ok: true, query: { fromMs: 0, toMs: Date.UTC(2100, 0, 1), windowSize: 'DAY', groupBy: ['subject', 'meter'] },
    });
    expect(parse('subject=a&meter=m&groupBy=meter,subject&from=2026-11-01T00:00:00Z')).toEqual({
      ok: true, query: { subject: 'a', meter: 'm', fromMs: Date.UTC(2026, 10, 1), toMs: Date.UTC(2100, 0, 1), groupBy: ['meter', 'subject'] },
    });
  });
});

describe('planUsagePieces', () => {
  const t = (iso: string): number => Date.parse(iso);
  const show = (from: string, to: string, window?: 'MINUTE' | 'HOUR' | 'DAY'): string[] =>
    planUsagePieces(t(from), t(to), window).map((p) => `${p.window ?? 'RAW'} ${new Date(p.fromMs).toISOString().slice(0, 19)}–${new Date(p.toMs).toISOString().slice(0, 19)}`);

  it('reads whole days from the day view and only the unaligned edges from finer levels', () => {
    expect(show('2026-11-01T10:20:30.500Z', '2026-11-04T05:06:07Z')).toEqual([
      'RAW 2026-11-01T10:20:30–2026-11-01T10:21:00',
      'MINUTE 2026-11-01T10:21:00–2026-11-01T11:00:00',
      'HOUR 2026-11-01T11:00:00–2026-11-02T00:00:00',
      'DAY 2026-11-02T00:00:00–2026-11-04T00:00:00',
      'HOUR 2026-11-04T00:00:00–2026-11-04T05:00:00',
      'MINUTE 2026-11-04T05:00:00–2026-11-04T05:06:00',
      'RAW 2026-11-04T05:06:00–2026-11-04T05:06:07',
    ]);
  });

  it('never uses a level coarser than the window size, and covers the range without gaps or overlaps', () => {
    const pieces = planUsagePieces(t('2026-11-01T10:20:30Z'), t('2026-11-04T05:06:07Z'), 'HOUR');
    expect(pieces.some((p) => p.window === 'DAY')).toBe(false);
    pieces.slice(1).forEach((p, i) => expect(p.fromMs).toBe(pieces[i]!.toMs));
    expect(show('2026-11-01T10:00:10Z', '2026-11-01T10:00:50Z')).toEqual(['RAW 2026-11-01T10:00:10–2026-11-01T10:00:50']);
  });
});
