/** Reading and validating query-string parameters with coded errors. */
import type { ApiError } from '../schemas/errors.ts';

export type ParamResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export function requiredParam(params: URLSearchParams, name: string, lengthMax = 256): ParamResult<string> {
  const value = params.get(name);
  if (value === null || value === '') return { ok: false, error: { code: 'TG_QUERY_PARAM_MISSING', message: `query parameter ${name} is required`, field: name } };
  if (value.length > lengthMax) return { ok: false, error: { code: 'TG_QUERY_PARAM_INVALID', message: `${name} is longer than ${lengthMax}`, field: name } };
  return { ok: true, value };
}

export function timeParam(params: URLSearchParams, name: string, fallbackMs: number): ParamResult<number> {
  const value = params.get(name);
  if (value === null || value === '') return { ok: true, value: fallbackMs };
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return { ok: false, error: { code: 'TG_QUERY_PARAM_INVALID', message: `${name} must be an RFC 3339 time, got "${value}"`, field: name } };
  return { ok: true, value: ms };
}

export function optionalParam(params: URLSearchParams, name: string, lengthMax = 256): ParamResult<string | undefined> {
  if (params.get(name) === null || params.get(name) === '') return { ok: true, value: undefined };
  return requiredParam(params, name, lengthMax);
}

/** One of `allowed`, or undefined when absent. */
export function enumParam<T extends string>(params: URLSearchParams, name: string, allowed: readonly T[]): ParamResult<T | undefined> {
  const value = params.get(name);
  if (value === null || value === '') return { ok: true, value: undefined };
  if (!(allowed as readonly string[]).includes(value)) {
    return { ok: false, error: { code: 'TG_QUERY_PARAM_INVALID', message: `${name} must be one of ${allowed.join(', ')}, got "${value.slice(0, 64)}"`, field: name } };
  }
  return { ok: true, value: value as T };
}

/** A list given as `name=a,b` and/or repeated `name=a&name=b`; each item one of `allowed`, no repeats. */
export function enumListParam<T extends string>(params: URLSearchParams, name: string, allowed: readonly T[], why = ''): ParamResult<T[]> {
  const items = params.getAll(name).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  const seen = new Set<string>();
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      return { ok: false, error: { code: 'TG_QUERY_PARAM_INVALID', message: `${name} items must be among ${allowed.join(', ')}${why}, got "${item.slice(0, 64)}"`, field: name } };
    }
    if (seen.has(item)) return { ok: false, error: { code: 'TG_QUERY_PARAM_INVALID', message: `${name} names "${item}" twice`, field: name } };
    seen.add(item);
  }
  return { ok: true, value: items as T[] };
}
