import { HandoverError, type DurableEvent } from '#contracts';

/**
 * The durable event stream between the apps that own state (token, user-data) and the webhooks dispatcher.
 * Distributed mode: a file-backed JetStream stream (`JetStreamDurableEvents`). Embedded mode: a hand-off to the
 * in-process dispatcher (`InProcessDurableEvents`), which acknowledges once its own database has the event.
 * Either way an outbox relay marks an event sent only after `publish` resolves, so nothing is lost in between.
 */
export interface DurableEventPublisher {
  /** Resolves once every event is durably accepted (stream ack, or the consumer's commit); rejects otherwise. */
  publish(events: readonly DurableEvent[]): Promise<void>;
}

/**
 * Called with a batch of events. Resolving acknowledges the whole batch; rejecting leaves it for redelivery
 * (the handler must be idempotent: the same event id can arrive again).
 */
export type DurableEventHandler = (events: DurableEvent[]) => Promise<void>;

export interface DurableEventSubscription {
  stop(): Promise<void>;
}

export interface DurableEventSubscriber {
  subscribe(handler: DurableEventHandler): Promise<DurableEventSubscription>;
}

/**
 * Embedded mode: the relay's publish runs the subscribed handler and resolves when it has committed. With no
 * subscriber yet (start-up order) it rejects as unavailable, and the relay tries again later.
 */
export class InProcessDurableEvents implements DurableEventPublisher, DurableEventSubscriber {
  private handler: DurableEventHandler | undefined;

  async publish(events: readonly DurableEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (!this.handler) throw HandoverError.unavailable('no durable event consumer is running');
    // A JSON round trip, as on the wire: the consumer never shares objects with the publisher.
    await this.handler(JSON.parse(JSON.stringify(events)) as DurableEvent[]);
  }

  async subscribe(handler: DurableEventHandler): Promise<DurableEventSubscription> {
    if (this.handler) throw new Error('InProcessDurableEvents takes one subscriber');
    this.handler = handler;
    return {
      stop: async () => {
        if (this.handler === handler) this.handler = undefined;
      },
    };
  }
}
