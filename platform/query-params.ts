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
