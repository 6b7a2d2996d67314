import type { NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  StorageType,
  type ConsumerConfig,
  type JetStreamClient,
  type JetStreamManager,
  type PubAck,
} from '@nats-io/jetstream';

export interface DurableStreamSpec {
  /** Stream name, already prefixed for this deployment (stream names may not contain dots). */
  name: string;
  subjects: string[];
  /** Window in which a repeated `Nats-Msg-Id` is dropped as a duplicate. */
  duplicateWindowMs: number;
  maxAgeMs?: number;
}

const nanos = (ms: number): number => ms * 1_000_000;

/**
 * Durable streams for events that must survive restarts (webhook delivery). Streams are file-backed; a
 * message published with an id is stored once within the duplicate window, so a relay that re-publishes
 * after a crash cannot duplicate it.
 */
export class DurableStreams {
  private constructor(
    private readonly manager: JetStreamManager,
    private readonly client: JetStreamClient,
  ) {}

  static async open(connection: NatsConnection): Promise<DurableStreams> {
    const manager = await jetstreamManager(connection);
    return new DurableStreams(manager, jetstream(connection));
  }

  async ensureStream(spec: DurableStreamSpec): Promise<void> {
    const config = {
      name: spec.name,
      subjects: spec.subjects,
      storage: StorageType.File,
      duplicate_window: nanos(spec.duplicateWindowMs),
      max_age: spec.maxAgeMs ? nanos(spec.maxAgeMs) : 0,
    };
    try {
      await this.manager.streams.info(spec.name);
      await this.manager.streams.update(spec.name, config);
    } catch {
      await this.manager.streams.add(config);
    }
  }

  async ensureConsumer(
    stream: string,
    durableName: string,
    config: Partial<ConsumerConfig> & { ack_wait_ms: number; max_deliver: number },
  ): Promise<void> {
    const { ack_wait_ms, ...rest } = config;
    const full: Partial<ConsumerConfig> = {
      durable_name: durableName,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(ack_wait_ms),
      ...rest,
    };
    try {
      await this.manager.consumers.info(stream, durableName);
      await this.manager.consumers.update(stream, durableName, full);
    } catch {
      await this.manager.consumers.add(stream, full);
    }
  }

  publish(subject: string, data: string | Uint8Array, messageId: string): Promise<PubAck> {
    return this.client.publish(subject, data, { msgID: messageId });
  }

  consumer(stream: string, durableName: string) {
    return this.client.consumers.get(stream, durableName);
  }

  /** Readiness: JetStream answers on this connection. */
  async check(): Promise<void> {
    await this.manager.getAccountInfo();
  }

  deleteStream(name: string): Promise<boolean> {
    return this.manager.streams.delete(name);
  }
}
