import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { durableEventSubject, DurableEvent, validatePayload, type WebhookEventType } from '#contracts';
import type {
  DurableEventHandler,
  DurableEventPublisher,
  DurableEventSubscriber,
  DurableEventSubscription,
} from './durable-events.js';
import type { DurableStreams } from './jetstream.js';
import { prefixed } from './nats.transport.js';
import type { OutboxLogger } from './outbox.js';

/** The durable consumer the webhooks dispatcher reads the event stream with (its replicas share it). */
export const DURABLE_EVENTS_CONSUMER = 'webhooks-dispatcher';

export const DurableEventsDefaults = {
  /** The stream drops a repeated `Nats-Msg-Id` (a relay's republish after a crash) within this window (FI-06). */
  duplicateWindowMs: 2 * 60_000,
  /** Kept this long whatever happens to them, so an event JetStream gave up on can still be found and replayed. */
  maxAgeMs: 7 * 24 * 3600_000,
  /** Longer than the dispatcher's 15 s HTTP timeout; a running handler also reports progress (see below). */
  ackWaitMs: 30_000,
  /**
   * Deliveries of one event before JetStream gives up on it (its default, −1, redelivers forever: FI-07). A
   * handler that rejects gets the event again after 1, 2, 4, 8, 16, then every 30 s, so 1,000 deliveries ride out
   * about 8 hours of a failing dispatcher (its database down for a working day's night, say); an event that can
   * never be accepted stops coming back then, and stays in the stream (`maxAgeMs`) with JetStream's
   * MAX_DELIVERIES advisory naming its sequence for a replay.
   */
  maxDeliver: 1000,
  /** Events per handler call, at most. */
  batchSize: 256,
} as const;

export interface JetStreamDurableEventsOptions {
  /** HANDOVER_SUBJECT_PREFIX: names the stream (`<prefix>_EVENTS`) and its subjects (`<prefix>.events.>`). */
  subjectPrefix: string;
  duplicateWindowMs?: number;
  maxAgeMs?: number;
  ackWaitMs?: number;
  maxDeliver?: number;
  batchSize?: number;
  /** Poison messages and handler failures are reported here. */
  logger?: OutboxLogger;
}

/** `<prefix>_EVENTS`, with anything a stream name may not hold (`.`, `*`, `>`, spaces, slashes) replaced by `_`. */
export function durableEventsStreamName(subjectPrefix: string): string {
  const safe = subjectPrefix.replace(/[^A-Za-z0-9_-]/g, '_');
  return safe ? `${safe}_EVENTS` : 'EVENTS';
}

/** Redelivery delay after the handler rejected the `deliveryCount`-th delivery: 1 s, doubling, at most 30 s. */
export function nakDelayMs(deliveryCount: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, Math.min(deliveryCount - 1, 15)));
}

const silent: OutboxLogger = { warn: () => undefined, error: () => undefined };

/**
 * The durable event stream of distributed mode: a file-backed JetStream stream. Publishing awaits every PubAck
 * (a rejection leaves the outbox rows for the relay's next round) with the event id as `Nats-Msg-Id`, so a
 * republished event is stored once. Subscribing reads the durable pull consumer `webhooks-dispatcher` with
 * explicit acks: a batch the handler accepted is acked, one it rejected is nak'ed with a growing delay, and a
 * message that is not a valid `DurableEvent` is terminated (poison: redelivering it cannot help) and logged.
 */
export class JetStreamDurableEvents implements DurableEventPublisher, DurableEventSubscriber {
  readonly stream: string;
  private readonly subjects: string;
  private readonly settings: Required<Omit<JetStreamDurableEventsOptions, 'logger'>>;
  private readonly logger: OutboxLogger;
  private ensured: Promise<void> | undefined;

  constructor(
    private readonly streams: DurableStreams,
    options: JetStreamDurableEventsOptions,
  ) {
    this.settings = {
      subjectPrefix: options.subjectPrefix,
      duplicateWindowMs: options.duplicateWindowMs ?? DurableEventsDefaults.duplicateWindowMs,
      maxAgeMs: options.maxAgeMs ?? DurableEventsDefaults.maxAgeMs,
      ackWaitMs: options.ackWaitMs ?? DurableEventsDefaults.ackWaitMs,
      maxDeliver: options.maxDeliver ?? DurableEventsDefaults.maxDeliver,
      batchSize: options.batchSize ?? DurableEventsDefaults.batchSize,
    };
    this.logger = options.logger ?? silent;
    this.stream = durableEventsStreamName(options.subjectPrefix);
    this.subjects = prefixed(options.subjectPrefix, 'events.>');
  }

  /** The subject an event of `type` is published on. */
  subjectOf(type: WebhookEventType): string {
    return prefixed(this.settings.subjectPrefix, durableEventSubject(type));
  }

  /** Creates the stream, or brings an existing one to these settings (keeping its messages). */
  ensureStream(): Promise<void> {
    this.ensured ??= this.streams
      .ensureStream({
        name: this.stream,
        subjects: [this.subjects],
        duplicateWindowMs: this.settings.duplicateWindowMs,
        maxAgeMs: this.settings.maxAgeMs,
      })
      .catch((err: unknown) => {
        this.ensured = undefined;
        throw err;
      });
    return this.ensured;
  }

  async publish(events: readonly DurableEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.ensureStream();
    try {
      await Promise.all(
        events.map((event) => this.streams.publish(this.subjectOf(event.type), JSON.stringify(event), event.id)),
      );
    } catch (err) {
      // The stream may have been deleted under us: make sure of it again on the next attempt.
      this.ensured = undefined;
      throw err;
    }
  }

  async subscribe(handler: DurableEventHandler): Promise<DurableEventSubscription> {
    await this.ensureStream();
    await this.streams.ensureConsumer(this.stream, DURABLE_EVENTS_CONSUMER, {
      ack_wait_ms: this.settings.ackWaitMs,
      max_deliver: this.settings.maxDeliver,
      filter_subject: this.subjects,
      // Bounds what replicas hold unacknowledged at once (and so what one crash sends again after ack_wait).
      max_ack_pending: this.settings.batchSize * 4,
    });
    const consumer = await this.streams.consumer(this.stream, DURABLE_EVENTS_CONSUMER);
    const messages = await consumer.consume({ max_messages: this.settings.batchSize });
    return new EventBatches(messages, handler, this.settings.batchSize, this.settings.ackWaitMs, this.logger);
  }
}

/**
 * Feeds the consumer's messages to the handler in batches: while one batch is being handled, the messages that
 * arrive meanwhile gather for the next, so a quiet stream is handled at once and a busy one in batches of up to
 * `batchSize`. While the handler runs, every message it holds or that waits reports progress (`working`), so a
 * slow batch is not redelivered in parallel; after `MAX_WORKING_ACK_WAITS` ack waits it is left to redelivery.
 */
class EventBatches implements DurableEventSubscription {
  private static readonly MAX_WORKING_ACK_WAITS = 10;
  private readonly waiting: JsMsg[] = [];
  private wake: (() => void) | undefined;
  private reading = true;
  private readonly done: Promise<void>;

  constructor(
    private readonly messages: ConsumerMessages,
    private readonly handler: DurableEventHandler,
    private readonly batchSize: number,
    private readonly ackWaitMs: number,
    private readonly logger: OutboxLogger,
  ) {
    void this.watchStatus();
    const read = this.read();
    this.done = Promise.all([read, this.work()]).then(() => undefined);
  }

  /** Takes no more messages, handles those already received, then resolves. */
  async stop(): Promise<void> {
    await this.messages.close();
    await this.done;
  }

  private async read(): Promise<void> {
    try {
      for await (const message of this.messages) {
        this.waiting.push(message);
        this.signal();
      }
    } catch (err) {
      this.logger.error(`durable event consumer stopped: ${String(err)}`);
    } finally {
      this.reading = false;
      this.signal();
    }
  }

  private async watchStatus(): Promise<void> {
    try {
      for await (const status of this.messages.status()) {
        if (
          status.type === 'consumer_deleted' ||
          status.type === 'consumer_not_found' ||
          status.type === 'stream_not_found'
        ) {
          this.logger.warn(`durable event consumer: ${status.type}`);
        }
      }
    } catch {
      // The status feed ends with the consumer.
    }
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private async work(): Promise<void> {
    for (;;) {
      if (this.waiting.length === 0) {
        if (!this.reading) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      await this.handle(this.waiting.splice(0, this.batchSize));
    }
  }

  private async handle(batch: JsMsg[]): Promise<void> {
    const accepted: Array<{ message: JsMsg; event: DurableEvent }> = [];
    for (const message of batch) {
      const event = this.decode(message);
      if (event) accepted.push({ message, event });
    }
    if (accepted.length === 0) return;
    const started = Date.now();
    const progress = setInterval(
      () => {
        if (Date.now() - started > this.ackWaitMs * EventBatches.MAX_WORKING_ACK_WAITS) return;
        for (const { message } of accepted) message.working();
        for (const message of this.waiting) message.working();
      },
      Math.max(100, Math.floor(this.ackWaitMs / 3)),
    );
    progress.unref();
    try {
      if (await this.attempt(accepted.map((a) => a.event))) {
        for (const { message } of accepted) message.ack();
        return;
      }
      if (accepted.length === 1) {
        accepted[0].message.nak(nakDelayMs(accepted[0].message.info.deliveryCount));
        return;
      }
      // One event the handler cannot take must not hold back the others: try each on its own.
      for (const { message, event } of accepted) {
        if (await this.attempt([event])) message.ack();
        else message.nak(nakDelayMs(message.info.deliveryCount));
      }
    } finally {
      clearInterval(progress);
    }
  }

  private async attempt(events: DurableEvent[]): Promise<boolean> {
    try {
      await this.handler(events);
      return true;
    } catch (err) {
      this.logger.warn(`durable event handler failed for ${events.length} event(s), redelivering: ${String(err)}`);
      return false;
    }
  }

  /** The event, or undefined after terminating a message that is not one (poison: no redelivery can fix it). */
  private decode(message: JsMsg): DurableEvent | undefined {
    try {
      return validatePayload(DurableEvent, JSON.parse(new TextDecoder().decode(message.data)) as unknown);
    } catch (err) {
      // No reason string: `+TERM <reason>` needs nats-server 2.10, and an older one ignores the whole ack.
      message.term();
      this.logger.error(
        `durable event stream: terminated message ${message.seq} on ${message.subject}, not a valid event: ${String(err)}`,
      );
      return undefined;
    }
  }
}
