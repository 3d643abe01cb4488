/**
 * Every error code a Tollgate user can see. Codes are stable: a client may
 * switch on them. HTTP answers carry `{error: {code, message, field?}}` or,
 * for per-event rejections, `{index, code, field, message}`.
 */
/** Errors in a price's parameters (catalog API), reported per field; see rater/pricing/params.ts. */
export const PRICE_PARAM_ERROR_CODES = {
  TG_PRICE_NOT_OBJECT: 'params (or a tier, or a nested price) must be a JSON object',
  TG_PRICE_FIELD_MISSING: 'a required field is absent',
  TG_PRICE_FIELD_UNKNOWN: 'a field is not one this model reads (a typo would otherwise be ignored silently)',
  TG_PRICE_FIELD_TYPE: 'a field has the wrong JSON type',
  TG_PRICE_NUMBER_INVALID: 'not a decimal number with at most 9 decimal places and 29 integer digits',
  TG_PRICE_NUMBER_UNSAFE: 'a JSON number beyond 2^53 has lost digits in parsing; send it as a string',
  TG_PRICE_NEGATIVE: 'a price, fee, amount or quantity must not be negative',
  TG_PRICE_NOT_POSITIVE: 'the value must be greater than zero',
  TG_PRICE_NOT_WHOLE_MICROS: 'an amount must be a whole number of micro-units',
  TG_PRICE_OUT_OF_RANGE: 'the value is beyond its limit (amounts fit Int64 micros, rates at most 100%)',
  TG_PRICE_TIERS_EMPTY: 'at least one tier is required',
  TG_PRICE_TIERS_TOO_MANY: 'more tiers than the limit',
  TG_PRICE_TIERS_NOT_ASCENDING: 'each tier must end above the previous one',
  TG_PRICE_TIER_OPEN_NOT_LAST: 'only the last tier may be open-ended (upTo null)',
  TG_PRICE_LAST_TIER_NOT_OPEN: 'the last tier must be open-ended (upTo null) so every quantity has a price',
  TG_PRICE_MIN_ABOVE_MAX: 'the minimum is above the maximum',
  TG_PRICE_RATE_CONFLICT: 'exactly one of rateBasisPoints and ratePercent is required',
  TG_PRICE_MODEL_UNKNOWN: 'no price model with this name',
  TG_PRICE_MODEL_NOT_WRAPPABLE: 'this model cannot be wrapped (its amount is not a function of the period quantity)',
} as const;

export const ERROR_CODES = {
  ...PRICE_PARAM_ERROR_CODES,
  TG_BODY_EMPTY: 'the request body is empty',
  TG_BODY_TOO_LARGE: 'the request body exceeds the configured byte limit',
  TG_BODY_MALFORMED: 'the body is not valid for its content type (JSON, NDJSON or msgpack)',
  TG_BODY_NOT_EVENTS: 'the body is neither one event nor an array of events',
  TG_BATCH_TOO_LONG: 'the request carries more events than the configured limit',
  TG_CONTENT_TYPE_UNSUPPORTED: 'the Content-Type is not one ingest accepts',
  TG_EVENT_NOT_OBJECT: 'an event must be a JSON object',
  TG_EVENT_FIELD_MISSING: 'a required event field is absent',
  TG_EVENT_FIELD_TYPE: 'an event field has the wrong type',
  TG_EVENT_FIELD_FORMAT: 'an event field does not match its format',
  TG_EVENT_FIELD_TOO_LONG: 'an event field exceeds its length limit',
  TG_EVENT_FIELD_EMPTY: 'an event field is empty',
  TG_EVENT_FIELD_INVALID: 'an event field is invalid',
  TG_ALL_EVENTS_REJECTED: 'every event in the request was rejected',
  TG_UNAUTHORIZED: 'the API key is missing, malformed, unknown or revoked',
  TG_RATE_LIMITED: 'this API key sent more events per second than it may; retry after the Retry-After delay',
  TG_EVENT_DATA_TOO_MANY_PROPERTIES: 'the event data holds more properties than the configured limit',
  TG_EVENT_DATA_STRING_TOO_LONG: 'a string in the event data exceeds the configured length limit',
  TG_EVENT_DATA_TOO_DEEP: 'the event data nests deeper than the configured limit',
  TG_FRAME_INVALID: 'a WebSocket frame is not a msgpack {seq, events} map with a sequence number above the last one',
  TG_OVERLOADED: 'ingest is at its queue limit; retry after the Retry-After delay',
  TG_KAFKA_UNAVAILABLE: 'the event log did not acknowledge the events; nothing was accepted, retry',
  TG_QUERY_PARAM_MISSING: 'a required query parameter is absent',
  TG_QUERY_PARAM_INVALID: 'a query parameter is invalid',
  TG_NOT_FOUND: 'no such route or resource',
  TG_INTERNAL: 'an unexpected server error; the request id is in the logs',
  TG_CONFIG_INVALID: 'the configuration is invalid',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ApiError {
  code: ErrorCode;
  message: string;
  field?: string;
}

export interface EventRejection {
  index: number;
  code: ErrorCode;
  field: string;
  message: string;
}

export function apiError(code: ErrorCode, message: string = ERROR_CODES[code], field?: string): { error: ApiError } {
  return { error: field === undefined ? { code, message } : { code, message, field } };
}
