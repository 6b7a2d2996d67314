/**
 * What integration.global-setup.ts hands to the test files of a run (through environment variables, since
 * jest's global setup runs in another context): the run's own database, Redis prefix and subject prefix.
 */
export interface TestRun {
  databaseUrl: string;
  databaseName: string;
  redisUrl: string;
  redisPrefix: string;
  natsUrl: string;
  subjectPrefix: string;
}

export function currentTestRun(): TestRun {
  const get = (name: string) => {
    const value = process.env[name];
    if (!value)
      throw new Error(`${name} is not set: run this test through jest's integration or e2e-distributed project`);
    return value;
  };
  return {
    databaseUrl: get('HANDOVER_TEST_DATABASE_URL'),
    databaseName: get('HANDOVER_TEST_DATABASE_NAME'),
    redisUrl: get('HANDOVER_TEST_REDIS_URL'),
    redisPrefix: get('HANDOVER_TEST_REDIS_PREFIX'),
    natsUrl: get('HANDOVER_TEST_NATS_URL'),
    subjectPrefix: get('HANDOVER_TEST_SUBJECT_PREFIX'),
  };
}
