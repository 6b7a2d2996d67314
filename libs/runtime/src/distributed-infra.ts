import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import { reachOrFail } from '#config';
import { connectNats, DurableStreams, natsBusBinding, type BusBinding, type NatsSettings } from '#messaging';
import { openDatabase, RedisShortLivedStore, type AppDatabaseSpec, type RedisSettings } from '#storage';

/**
 * Connections of a distributed app, each failing at start with a message that names the service and its
 * variable: a configured service that cannot be reached is an error, never a reason to fall back to embedded.
 */
export async function connectBus(settings: NatsSettings): Promise<{ bus: BusBinding; connection: NatsConnection }> {
  const connection = await reachOrFail('NATS', 'NATS_URL', settings.url, () => connectNats(settings));
  return { bus: natsBusBinding(connection, settings), connection };
}

/** Opens JetStream on the app's connection; fails when the server runs without JetStream (`-js`). */
export async function openJetStream(connection: NatsConnection, url: string): Promise<DurableStreams> {
  return reachOrFail('NATS JetStream', 'NATS_URL', url, () => DurableStreams.open(connection));
}

export async function connectRedis(settings: RedisSettings): Promise<RedisShortLivedStore> {
  return reachOrFail('Redis', 'REDIS_URL', settings.url, () => RedisShortLivedStore.connect(settings));
}

export async function connectDatabase(url: string, poolSize: number, spec: AppDatabaseSpec): Promise<DataSource> {
  return reachOrFail(
    'PostgreSQL',
    'DATABASE_URL',
    url,
    () => openDatabase({ kind: 'postgres', url, poolSize }, spec),
    6000,
  );
}
