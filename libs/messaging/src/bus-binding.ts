import type { CustomTransportStrategy } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import { type MessageBroker } from './in-process-broker.js';
import { InProcessRpcClient, InProcessServer } from './in-process.transport.js';
import { HandoverNatsServer, NatsRpcClient, type NatsSettings } from './nats.transport.js';
import type { RpcClient } from './rpc-client.js';

/**
 * An app's attachment to the bus: the client it sends with, the Nest transport its handlers listen on, and a
 * readiness probe. One of two real transports backs it; nothing above this line knows which.
 */
export interface BusBinding {
  readonly transport: 'nats' | 'in-process';
  readonly client: RpcClient;
  /** The Nest transport strategy for an app whose replicas form the queue group `queueGroup`. */
  createServer(queueGroup: string): CustomTransportStrategy;
  check(): Promise<void>;
  /** Drains the connection: in-flight requests finish, then it closes. */
  close(): Promise<void>;
}

export function natsBusBinding(connection: NatsConnection, settings: NatsSettings): BusBinding {
  return {
    transport: 'nats',
    client: new NatsRpcClient(connection, settings),
    createServer: (queueGroup) => new HandoverNatsServer(connection, settings, queueGroup),
    async check() {
      if (connection.isClosed()) throw new Error('NATS connection closed');
      await connection.flush();
    },
    async close() {
      if (!connection.isClosed()) await connection.drain().catch(() => connection.close());
    },
  };
}

export function inProcessBusBinding(broker: MessageBroker): BusBinding {
  return {
    transport: 'in-process',
    client: new InProcessRpcClient(broker),
    createServer: (queueGroup) => new InProcessServer(broker, queueGroup),
    async check() {},
    async close() {},
  };
}
