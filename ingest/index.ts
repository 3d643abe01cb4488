/** The ingest tier's public module. */
export { EventProducer, KafkaUnavailableError, OverloadedError, type EventProducerOptions } from './event-producer.ts';
export { registerIngestRoutes, type IngestLimits } from './http-routes.ts';
export { partitionFor } from './partitioner.ts';
