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

/**
 * The ledger's request-level errors (ledger HTTP API). Per-transfer and per-account outcomes are not
 * errors: they are result codes in a 200 answer (ledger/engine.ts TRANSFER_RESULTS / ACCOUNT_RESULTS).
 */
export const LEDGER_ERROR_CODES = {
  TG_LEDGER_FIELD_INVALID: 'a field of a ledger request is missing or invalid; `field` names it',
  TG_LEDGER_BATCH_TOO_LONG: 'a ledger batch holds more than 8,190 items',
  TG_LEDGER_BATCH_EMPTY: 'a ledger batch holds no items',
  TG_LEDGER_REFUSED: 'the ledger refused the operation; `result` holds its result code',
} as const;

/** The voucher API's errors, each with its HTTP status (ledger/vouchers). */
export const VOUCHER_ERRORS = {
  TG_VOUCHER_NOT_FOUND: { status: 404, message: 'no voucher with that id or code in this tenant' },
  TG_VOUCHER_BATCH_NOT_FOUND: { status: 404, message: 'no voucher batch with that id in this tenant' },
  TG_VOUCHER_PROFILE_NOT_FOUND: { status: 404, message: 'no active voucher profile with that name in this tenant' },
  TG_VOUCHER_CUSTOMER_NOT_FOUND: { status: 404, message: 'no customer with that id or subject in this tenant' },
  TG_VOUCHER_PROFILE_EXISTS: { status: 409, message: 'a voucher profile with that name already exists in this tenant' },
  TG_VOUCHER_INPUT_INVALID: { status: 400, message: 'a field of the request is invalid' },
  TG_VOUCHER_BATCH_TOO_LARGE: { status: 400, message: 'the batch asks for more vouchers than one call may generate' },
  TG_VOUCHER_CODE_ALPHABET_INVALID: { status: 400, message: 'the code alphabet is invalid (A-Z and 2-9 style characters, no duplicates, no look-alikes)' },
  TG_VOUCHER_CODE_ENTROPY_TOO_LOW: { status: 400, message: 'codes of that alphabet and length would be guessable' },
  TG_VOUCHER_CODE_SPACE_EXHAUSTED: { status: 409, message: 'could not find enough unused codes; use a longer code or larger alphabet' },
  TG_VOUCHER_BATCH_REQUEST_CONFLICT: { status: 409, message: 'that requestId already generated a different batch' },
  TG_VOUCHER_ALREADY_SOLD: { status: 409, message: 'the voucher is already sold' },
  TG_VOUCHER_NOT_SOLD: { status: 409, message: 'the voucher has not been sold' },
  TG_VOUCHER_NOT_ACTIVE: { status: 409, message: 'the voucher is not active' },
  TG_VOUCHER_ALREADY_USED: { status: 409, message: 'the voucher is used up' },
  TG_VOUCHER_EXPIRED: { status: 409, message: 'the voucher has expired' },
  TG_VOUCHER_DISABLED: { status: 409, message: 'the voucher is disabled' },
  TG_VOUCHER_REFUND_NOT_UNUSED: { status: 409, message: 'only an unused voucher can be refunded' },
  TG_VOUCHER_TRANSFER_SAME_CUSTOMER: { status: 409, message: 'the voucher already belongs to that customer' },
  TG_VOUCHER_CURRENCY_MISMATCH: { status: 409, message: "the customer's wallet is in another currency than the voucher" },
  TG_VOUCHER_INSUFFICIENT_FUNDS: { status: 409, message: "the customer's wallet does not hold the voucher's price" },
  TG_VOUCHER_LEDGER_REFUSED: { status: 409, message: 'the ledger refused the voucher transfer' },
  TG_VOUCHER_USAGE_REPORT_CONFLICT: { status: 409, message: 'that (session, sequence) was already reported with other figures' },
} as const satisfies Record<string, { status: number; message: string }>;

type MessagesOf<T extends Record<string, { message: string }>> = { readonly [K in keyof T]: T[K]['message'] };
const messagesOf = <T extends Record<string, { message: string }>>(table: T): MessagesOf<T> =>
  Object.fromEntries(Object.entries(table).map(([code, { message }]) => [code, message])) as MessagesOf<T>;

export const ERROR_CODES = {
  ...PRICE_PARAM_ERROR_CODES,
  ...LEDGER_ERROR_CODES,
  ...messagesOf(VOUCHER_ERRORS),
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
  TG_QUERY_RESULT_TOO_LARGE: 'the answer would hold more rows than allowed; narrow the time range, use a larger window or group by less',
  TG_NOT_FOUND: 'no such route or resource',
  TG_INTERNAL: 'an unexpected server error; the request id is in the logs',
  TG_CONFIG_INVALID: 'the configuration is invalid',
  TG_INVOICE_STATE: 'the invoice is not in a state that allows this (e.g. paying a draft, voiding a paid invoice)',
  TG_INVOICE_FIELD_INVALID: 'a field of an invoice request is missing or invalid',
  TG_PAYMENT_CONFLICT: 'a payment with this reference or provider event id was recorded before with another invoice or amount',
  TG_WEBHOOK_SIGNATURE_INVALID: 'the webhook signature is missing, malformed, too old or does not match the body',
  // Catalog API (rater/catalog-routes.ts): meters, plans, discounts, coupons, customers, subscriptions, entitlements.
  TG_CATALOG_FIELD_INVALID: 'a field of the catalog object is missing, of the wrong type or out of range',
  TG_CATALOG_DUPLICATE: 'an object with this slug, code or subject already exists in the tenant',
  TG_CATALOG_REFERENCE_INVALID: 'a referenced object (meter, plan version, customer, discount) does not exist in the tenant',
  TG_PLAN_VERSION_LOCKED: 'the plan version has been used by a subscription and can no longer change; create a new version',
  TG_CURRENCY_MISMATCH: 'the currencies of the customer, the plan version or the discount differ',
  TG_SUBSCRIPTION_OVERLAP: 'the customer already has a subscription in this time range',
  TG_METER_NOT_PRICEABLE: 'the meter aggregation cannot be priced per event (only SUM, COUNT and MAX can; percentage needs SUM)',
  TG_COUPON_NOT_FOUND: 'no active coupon with this code',
  TG_COUPON_EXPIRED: 'the coupon can no longer be redeemed (past its redeem-by time)',
  TG_COUPON_EXHAUSTED: 'the coupon reached its redemption limit',
  TG_COUPON_ALREADY_REDEEMED: 'this customer already redeemed this coupon',
  // Router gateway (router-gateway/http-routes.ts, `tollgate routers`).
  TG_ROUTER_FIELD_INVALID: 'a field of the router is missing, of the wrong type or out of range',
  TG_ROUTER_EXISTS: 'a router with this name (in the tenant) or this host (anywhere) is already registered',
  TG_ROUTER_NOT_FOUND: 'no such router in the tenant',
  TG_ROUTER_UNREACHABLE: 'the router did not answer on its RouterOS API, or refused the login',
  TG_ROUTER_RATE_LIMITED: 'this router already had its RouterOS API calls for the minute; retry later',
  TG_ROUTER_HAS_HISTORY: 'the router has recorded sessions or cutoffs and cannot be removed',
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
