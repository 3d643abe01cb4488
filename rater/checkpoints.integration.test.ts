/** Checkpoints and log epochs on the real Postgres. */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectPostgres, migratePostgres, type Postgres } from '../platform/postgres.ts';
import { advanceCheckpoint, CheckpointConflictError, readProgress } from './checkpoints.ts';
import { adoptBrokerIncarnation } from './broker-incarnation.ts';

const TOPIC = `itest-checkpoints-${process.pid}`;
let postgres: Postgres;

beforeAll(async () => {
  postgres = connectPostgres(inject('infra').postgresUrl, 4);
  await migratePostgres(postgres.db);
});

afterAll(async () => {
  await postgres.close();
});

describe('rater checkpoints', () => {
  it('advances only forward and only from the offset the caller last saw', async () => {
    await readProgress(postgres.db, TOPIC);
    await postgres.db.transaction((tx) => advanceCheckpoint(tx, TOPIC, 0, undefined, 10n));
    await postgres.db.transaction((tx) => advanceCheckpoint(tx, TOPIC, 0, 10n, 25n));
    // Another owner moved it (a rebalance): the stale expectation is refused.
    await expect(postgres.db.transaction((tx) => advanceCheckpoint(tx, TOPIC, 0, 10n, 30n))).rejects.toBeInstanceOf(CheckpointConflictError);
    await expect(postgres.db.transaction((tx) => advanceCheckpoint(tx, TOPIC, 0, 25n, 20n))).rejects.toBeInstanceOf(CheckpointConflictError);
    expect((await readProgress(postgres.db, TOPIC)).nextOffsets.get(0)).toBe(25n);
  });

  it('starts a new epoch, without checkpoints, when the embedded broker is a new incarnation — and only then', async () => {
    const before = await readProgress(postgres.db, TOPIC);
    expect(before.nextOffsets.size).toBeGreaterThan(0);
    expect(await adoptBrokerIncarnation(postgres.db, TOPIC, 'incarnation-a')).toBe('incarnation-a');
    const after = await readProgress(postgres.db, TOPIC);
    expect(after).toEqual({ epoch: 'incarnation-a', nextOffsets: new Map() });
    await postgres.db.transaction((tx) => advanceCheckpoint(tx, TOPIC, 1, undefined, 5n));
    // The same incarnation again (a node restart against a broker that kept running) keeps everything.
    expect(await adoptBrokerIncarnation(postgres.db, TOPIC, 'incarnation-a')).toBeUndefined();
    expect((await readProgress(postgres.db, TOPIC)).nextOffsets.get(1)).toBe(5n);
  });
});
