import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Clock } from '../clock.js';
import { sessionLoggedOutEvent, type EndedSession } from '../events/session-events.js';
import { TokenOutbox } from '../events/token-outbox.js';
import { TokenPolicy } from '../token.policy.js';
import { SessionStore } from './session.store.js';

/** Expiries handled per round trip; a backlog (after downtime) is worked through in batches of this size. */
const BATCH = 500;

/**
 * Turns session expiries into `session.logged_out` (reason `expired`) for the vendors each session was handed to.
 * Every `sessionSweepIntervalMs` it reads the due members of the expiry schedule, writes their events to the
 * outbox, and only then takes them off the schedule: a crash in between writes them again, and the event id
 * (the same as a logout's, see session-events.ts) makes that a no-op. Several token replicas may sweep at once
 * for the same reason; a session logged out before it expired is already off the schedule.
 */
@Injectable()
export class SessionExpirySweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SessionExpirySweeper');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    @Inject(SessionStore) private readonly sessions: SessionStore,
    @Inject(TokenOutbox) private readonly outbox: TokenOutbox,
    @Inject(TokenPolicy) private readonly policy: TokenPolicy,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), this.policy.sessionSweepIntervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Announces every session that has expired by now; returns how many. Rejects when the store or database fails. */
  async sweep(): Promise<number> {
    let announced = 0;
    for (;;) {
      const now = this.clock.now();
      const due = await this.sessions.dueExpiries(now, BATCH);
      if (due.length === 0) break;
      const sessions = due.flatMap((d) => (d.session ? [d.session] : []));
      if (sessions.length < due.length) this.logger.warn(`dropping ${due.length - sessions.length} malformed expiries`);
      const vendors = await Promise.all(sessions.map((s) => this.sessions.vendorsOf(s.tenantId, s.handle, now)));
      await this.outbox.write(
        sessions.map((s: EndedSession, i) => sessionLoggedOutEvent(s, 'expired', vendors[i], now)),
      );
      await this.sessions.unschedule(due.map((d) => d.member));
      announced += sessions.length;
      if (due.length < BATCH) break;
    }
    if (announced > 0) this.outbox.nudge();
    return announced;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.sweep()
      .catch((err: unknown) => this.logger.warn(`session expiry sweep failed, retrying next round: ${String(err)}`))
      .finally(() => {
        this.running = undefined;
      });
  }
}
