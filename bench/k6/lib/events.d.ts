/** Types of lib/events.js for the Node tests that check it (k6 itself runs the JavaScript). */
export const EVENT_TYPE: string;
export function subjectOf(n: number, customers: number): string;
export function tokensOf(n: number): number;
export function benchEvent(runId: string, source: string, n: number, customers: number, timeIso: string): Record<string, unknown>;
export function benchEvents(runId: string, source: string, first: number, count: number, customers: number, timeIso: string): Record<string, unknown>[];
