/**
 * The usage event: CloudEvents 1.0 structured form, the one schema every part
 * of Tollgate reads. The ingest validator, the SDK types and the Kafka wire
 * form all derive from `UsageEventSchema`.
 */
import { Type, type Static } from '@sinclair/typebox';

/** Limits that bound one event; ingest config may tighten them. */
export const EVENT_LIMITS = {
  idLengthMax: 256,
  sourceLengthMax: 256,
  typeLengthMax: 128,
  subjectLengthMax: 256,
} as const;

/** Time as RFC 3339 with an explicit offset, e.g. 2026-11-23T10:00:00.123Z. */
export const RFC3339_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$';

export const UsageEventSchema = Type.Object({
  specversion: Type.Literal('1.0'),
  id: Type.String({ minLength: 1, maxLength: EVENT_LIMITS.idLengthMax }),
  source: Type.String({ minLength: 1, maxLength: EVENT_LIMITS.sourceLengthMax }),
  type: Type.String({ minLength: 1, maxLength: EVENT_LIMITS.typeLengthMax, pattern: '^[A-Za-z0-9_.:-]+$' }),
  subject: Type.String({ minLength: 1, maxLength: EVENT_LIMITS.subjectLengthMax }),
  time: Type.Optional(Type.String({ pattern: RFC3339_PATTERN })),
  datacontenttype: Type.Optional(Type.String({ maxLength: 128 })),
  dataschema: Type.Optional(Type.String({ maxLength: 512 })),
  data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
}, { additionalProperties: true });

export type UsageEvent = Static<typeof UsageEventSchema>;

/**
 * An event as it travels on Kafka: the CloudEvent plus what ingest knows
 * (tenant, ingest time). `time` is always set (ingest fills in its own clock
 * when the producer sent none).
 */
export interface WireEvent {
  tenant: string;
  id: string;
  source: string;
  type: string;
  subject: string;
  /** Event time, epoch milliseconds. */
  timeMs: number;
  /** Ingest time, epoch milliseconds. */
  ingestedAtMs: number;
  data: Record<string, unknown>;
}

/** Version of the Kafka record layout (a msgpack array of WireEvent); sent as a header. */
export const WIRE_SCHEMA_VERSION = '1';

export const TOPICS = {
  usageEvents: 'usage.events',
  quotaExceeded: 'quota.exceeded',
  walletEvents: 'wallet.events',
  invoiceEvents: 'invoice.events',
} as const;
