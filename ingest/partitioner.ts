/**
 * Picks the Kafka partition of an event from its tenant and subject, so one
 * customer's events always land on one partition and stay ordered.
 */
import { fnv1a32 } from '../platform/hash.ts';

export function partitionFor(tenant: string, subject: string, partitionCount: number): number {
  return fnv1a32(`${tenant}\u0000${subject}`) % partitionCount;
}
