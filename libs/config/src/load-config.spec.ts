import { describe, expect, it } from '@jest/globals';
import { BaseAppEnv, WithDatabase, WithRedis } from './common-env.js';
import { ConfigError, loadEnv, reachOrFail, redact, StartupError } from './load-config.js';

class TestEnv extends WithDatabase(WithRedis(BaseAppEnv)) {}

const validEnv = {
  NATS_URL: 'nats://127.0.0.1:4222',
  REDIS_URL: 'redis://127.0.0.1:6379',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/handover',
};

function configErrorOf(attempt: () => unknown): ConfigError {
  try {
    attempt();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe(loadEnv.name, () => {
  it('should read required variables that have no default', () => {
    const sut = loadEnv(TestEnv, validEnv);

    expect(sut).toMatchObject(validEnv);
  });

  it('should apply the defaults of variables that are not set', () => {
    const sut = loadEnv(TestEnv, validEnv);

    expect(sut).toMatchObject({
      LOG_LEVEL: 'info',
      HANDOVER_SUBJECT_PREFIX: 'handover',
      BUS_REQUEST_TIMEOUT_MS: 1500,
      HANDOVER_REDIS_PREFIX: 'handover:',
      DATABASE_POOL_SIZE: 10,
    });
  });

  it('should treat an empty variable as unset, so its default applies', () => {
    const sut = loadEnv(TestEnv, { ...validEnv, LOG_LEVEL: '' });

    expect(sut.LOG_LEVEL).toBe('info');
  });

  it('should turn integer variables into numbers', () => {
    const sut = loadEnv(TestEnv, { ...validEnv, BUS_REQUEST_TIMEOUT_MS: '250', DATABASE_POOL_SIZE: ' 4 ' });

    expect(sut).toMatchObject({ BUS_REQUEST_TIMEOUT_MS: 250, DATABASE_POOL_SIZE: 4 });
  });

  it('should list every missing required variable at once', () => {
    const sut = configErrorOf(() => loadEnv(TestEnv, {}));

    expect(sut.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^NATS_URL: /),
        expect.stringMatching(/^REDIS_URL: /),
        expect.stringMatching(/^DATABASE_URL: /),
      ]),
    );
    expect(sut.message).toContain('invalid configuration');
  });

  it('should list every bad variable at once, with the value it expects', () => {
    const sut = configErrorOf(() =>
      loadEnv(TestEnv, {
        ...validEnv,
        NATS_URL: 'http://127.0.0.1:4222',
        LOG_LEVEL: 'loud',
        BUS_REQUEST_TIMEOUT_MS: '50',
        DATABASE_POOL_SIZE: 'ten',
      }),
    );

    const variables = sut.problems.map((p) => p.split(':')[0]);
    expect(new Set(variables)).toEqual(
      new Set(['NATS_URL', 'LOG_LEVEL', 'BUS_REQUEST_TIMEOUT_MS', 'DATABASE_POOL_SIZE']),
    );
    expect(sut.message).toContain('NATS_URL must be a nats:// URL');
  });

  it('should ignore variables the class does not declare', () => {
    const sut = loadEnv(TestEnv, { ...validEnv, PATH: '/usr/bin', UNRELATED: 'x' });

    expect(Object.keys(sut)).not.toContain('UNRELATED');
  });
});

describe(reachOrFail.name, () => {
  it('should hand back the value when the dependency answers', async () => {
    const sut = reachOrFail('Redis', 'REDIS_URL', 'redis://127.0.0.1:6379', () => Promise.resolve('connected'));

    await expect(sut).resolves.toBe('connected');
  });

  it('should fail with a StartupError naming the dependency, its variable and the cause', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

    const sut = reachOrFail('PostgreSQL', 'DATABASE_URL', 'postgres://u@127.0.0.1:1/db', () => Promise.reject(refused));

    await expect(sut).rejects.toBeInstanceOf(StartupError);
    await expect(sut).rejects.toMatchObject({
      dependency: 'PostgreSQL',
      variable: 'DATABASE_URL',
      message: expect.stringMatching(/PostgreSQL.*DATABASE_URL.*ECONNREFUSED/),
    });
  });

  it('should describe the first error of an AggregateError (both address families refused)', async () => {
    const refused = new AggregateError([new Error('connect ECONNREFUSED ::1:1')], '');

    const sut = reachOrFail('Redis', 'REDIS_URL', 'redis://localhost:1', () => Promise.reject(refused));

    await expect(sut).rejects.toThrow(/ECONNREFUSED ::1:1/);
  });

  it('should fail with a StartupError when the dependency does not answer in time, not hang', async () => {
    const sut = reachOrFail('NATS', 'NATS_URL', 'nats://10.255.255.1:4222', () => new Promise<never>(() => {}), 50);

    await expect(sut).rejects.toMatchObject({
      name: 'StartupError',
      dependency: 'NATS',
      variable: 'NATS_URL',
      message: expect.stringContaining('no answer within 50 ms'),
    });
  });

  it('should never print the password of the target', async () => {
    const sut = reachOrFail('PostgreSQL', 'DATABASE_URL', 'postgres://app:s3cret@db:5432/handover', () =>
      Promise.reject(new Error('boom')),
    );

    await expect(sut).rejects.toMatchObject({ target: 'postgres://app:***@db:5432/handover' });
    await expect(sut).rejects.toThrow(expect.objectContaining({ message: expect.not.stringContaining('s3cret') }));
  });
});

describe(redact.name, () => {
  it('should hide the password of a URL', () => {
    const sut = redact('redis://default:hunter2@cache:6379/0');

    expect(sut).toBe('redis://default:***@cache:6379/0');
  });

  it('should leave a URL without a password unchanged', () => {
    const sut = redact('nats://127.0.0.1:4222');

    expect(sut).toBe('nats://127.0.0.1:4222');
  });

  it('should hand back text that is not a URL as it is', () => {
    const sut = redact('not a url');

    expect(sut).toBe('not a url');
  });
});
