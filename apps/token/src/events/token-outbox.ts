import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HandoverError, type DurableEvent } from '#contracts';
import { OutboxGroupWriter, OutboxRelay } from '#messaging';

/** The token app's schema, which holds its outbox (`token.outbox`). */
export const TOKEN_SCHEMA = 'token';

/**
 * The token app's outbox: session events are written here (PostgreSQL) before the session changes in the
 * short-lived store, so a logout or a new session is never acknowledged without its durable event (FI-08). The
 * relay publishes them to the durable stream; it runs from bootstrap to shutdown.
 */
@Injectable()
export class TokenOutbox implements OnApplicationBootstrap, OnModuleDestroy {
  /**
   * Group commit: concurrent logouts' events share one INSERT and one fsync'd commit (one per logout before),
   * and each logout still returns only once the commit holding its event is done.
   */
  private readonly writer: OutboxGroupWriter;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
  ) {
    this.writer = new OutboxGroupWriter(dataSource, TOKEN_SCHEMA);
  }

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.relay.stop();
  }

  /** Durably records the events (an id already there is skipped); `temporarily_unavailable` when the database is down. */
  async write(events: readonly DurableEvent[]): Promise<void> {
    try {
      await this.writer.write(events);
    } catch (err) {
      throw HandoverError.unavailable('the token database is unavailable', err);
    }
  }

  /** Events were written and the change they announce is done: publish them now rather than at the next poll. */
  nudge(): void {
    this.relay.nudge();
  }
}
