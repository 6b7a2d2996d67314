import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HandoverError, type DurableEvent } from '#contracts';
import { OutboxRelay, writeOutbox } from '#messaging';

/** The token app's schema, which holds its outbox (`token.outbox`). */
export const TOKEN_SCHEMA = 'token';

/**
 * The token app's outbox: session events are written here (PostgreSQL) before the session changes in the
 * short-lived store, so a logout or a new session is never acknowledged without its durable event (FI-08). The
 * relay publishes them to the durable stream; it runs from bootstrap to shutdown.
 */
@Injectable()
export class TokenOutbox implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
  ) {}

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.relay.stop();
  }

  /** Durably records the events (an id already there is skipped); `temporarily_unavailable` when the database is down. */
  async write(events: readonly DurableEvent[]): Promise<void> {
    try {
      await writeOutbox(this.dataSource, TOKEN_SCHEMA, events);
    } catch (err) {
      throw HandoverError.unavailable('the token database is unavailable', err);
    }
  }

  /** Events were written and the change they announce is done: publish them now rather than at the next poll. */
  nudge(): void {
    this.relay.nudge();
  }
}
