/**
 * Watches ClickHouse until every event of a run is rated: polls
 * `count()` of `usage_rated` rows of the run's source every POLL_MS and
 * remembers when it first reached the target. One short query at a time (the
 * chdb endpoint serves one request at a time, so polls queue behind inserts).
 */
import type { ClickHouseClient } from '../platform/clickhouse.ts';

const POLL_MS = 100;

export interface RatedSample {
  /** Date.now() when the query was sent: the count was reached no later than this. */
  atMs: number;
  count: number;
}

export async function countRows(client: ClickHouseClient, table: 'usage_rated' | 'events_raw', source: string): Promise<number> {
  const result = await client.query({
    query: `SELECT count() AS n FROM ${table} WHERE source = {source:String}`,
    query_params: { source },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: string | number }>();
  return Number(row?.n ?? 0);
}

export class RatedPoller {
  latest: RatedSample = { atMs: Date.now(), count: 0 };
  /** The sample before `latest` (when the target was reached, it lies in between). */
  previous: RatedSample = this.latest;
  private target = Infinity;
  private reached: ((sample: RatedSample) => void) | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly client: ClickHouseClient, private readonly source: string) {}

  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Resolves with the first sample at or above `target`; or gives up at
   * `deadlineMs`, or once the count has not moved for `stallMs` (a stuck rater).
   */
  waitFor(target: number, deadlineMs: number, stallMs: number): Promise<{ sample: RatedSample } | { gaveUp: 'timeout' | 'stalled' }> {
    this.target = target;
    this.start();
    if (this.latest.count >= target) return Promise.resolve({ sample: this.latest });
    return new Promise((resolve) => {
      let lastCount = this.latest.count;
      let lastMoveMs = Date.now();
      const watchdog = setInterval(() => {
        if (this.latest.count !== lastCount) {
          lastCount = this.latest.count;
          lastMoveMs = Date.now();
        }
        const gaveUp = Date.now() >= deadlineMs ? 'timeout' : Date.now() - lastMoveMs >= stallMs ? 'stalled' : undefined;
        if (gaveUp) {
          clearInterval(watchdog);
          this.reached = undefined;
          resolve({ gaveUp });
        }
      }, POLL_MS);
      this.reached = (sample) => {
        clearInterval(watchdog);
        resolve({ sample });
      };
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const atMs = Date.now();
      const count = await countRows(this.client, 'usage_rated', this.source);
      this.previous = this.latest;
      this.latest = { atMs, count };
      if (count >= this.target && this.reached) {
        this.reached(this.latest);
        this.reached = undefined;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}
