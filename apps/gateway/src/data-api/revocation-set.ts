import {
  Controller,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import {
  ACCESS_TOKEN_TTL_SECONDS,
  HandoverError,
  revocationMember,
  StoreKeys,
  type SessionLoggedOut,
  type TokenRevoked,
} from '#contracts';
import { HandleEvent } from '#messaging';
import { ShortLivedStore } from '#storage';
import { Clock } from '../http/clock.js';
import { BusReconnects } from './bus-reconnects.js';

/** How long a revoked session stays in the set: its tokens live at most this long after it ended (plus skew). */
const SESSION_REVOCATION_MS = (ACCESS_TOKEN_TTL_SECONDS + 60) * 1000;
const SWEEP_INTERVAL_MS = 60_000;
const RELOAD_RETRY_MS = 1000;

/**
 * The revoked sessions and tokens this gateway replica refuses at the data API, kept in memory so a token check
 * never crosses the bus (SPEC §9). It is fed by the `session.logged_out` and `token.revoked` events, which every
 * replica hears (not a queue group), and loaded from the short-lived store's revocation index at start and after
 * the bus reconnects (events sent while a replica was deaf are in the index: the token app writes it first).
 * Until the first load has succeeded the set cannot vouch for any token, and the data API answers 503.
 *
 * Members are the index's own strings (`sid:<tenant>:<sid>`, `jti:<jti>`), each kept until its tokens have expired.
 */
@Injectable()
export class RevocationSet implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RevocationSet.name);
  private readonly revoked = new Map<string, number>();
  private loaded = false;
  private loading: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    @Inject(ShortLivedStore) private readonly store: ShortLivedStore,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(BusReconnects) private readonly reconnects: BusReconnects,
  ) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  async onApplicationBootstrap(): Promise<void> {
    // Bus handlers are subscribed before the application bootstraps, so no event falls between the two.
    this.reconnects.onReconnect(() => void this.reload());
    await this.reload();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
    clearTimeout(this.retry);
  }

  /** Throws `temporarily_unavailable` until the set has been loaded once; then whether either member is revoked. */
  isRevoked(tenantId: string, sessionId: string, jti: string): boolean {
    if (!this.loaded) throw HandoverError.unavailable('the revocation list is not loaded yet');
    const now = this.clock.now();
    return this.live(revocationMember.session(tenantId, sessionId), now) || this.live(revocationMember.token(jti), now);
  }

  sessionLoggedOut(event: SessionLoggedOut): void {
    const endedAt = Date.parse(event.endedAt);
    const from = Number.isNaN(endedAt) ? this.clock.now() : Math.max(endedAt, this.clock.now());
    this.add(revocationMember.session(event.tenantId, event.sessionId), from + SESSION_REVOCATION_MS);
  }

  tokenRevoked(event: TokenRevoked): void {
    const expiresAt = Date.parse(event.expiresAt);
    this.add(
      revocationMember.token(event.jti),
      Number.isNaN(expiresAt) ? this.clock.now() + SESSION_REVOCATION_MS : expiresAt + 60_000,
    );
  }

  /** Readiness: the replica serves the data API only once it knows what is revoked. */
  async check(): Promise<void> {
    if (!this.loaded) throw new Error('revocation list not loaded');
  }

  get size(): number {
    return this.revoked.size;
  }

  /**
   * Merges the store's live revocations into the set (it never drops anything). The index holds no expiry per
   * member, so a loaded one is kept for the longest a token lives. A failure is retried every second.
   */
  reload(): Promise<void> {
    this.loading ??= this.loadOnce().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async loadOnce(): Promise<void> {
    clearTimeout(this.retry);
    try {
      const now = this.clock.now();
      const members = await this.store.indexLive(StoreKeys.revocationIndex, now);
      for (const member of members) this.add(member, now + SESSION_REVOCATION_MS);
      this.loaded = true;
    } catch (err) {
      this.logger.warn(`cannot load the revocation index, retrying: ${String(err)}`);
      this.retry = setTimeout(() => void this.reload(), RELOAD_RETRY_MS);
      this.retry.unref();
    }
  }

  private add(member: string, expiresAtMs: number): void {
    this.revoked.set(member, Math.max(expiresAtMs, this.revoked.get(member) ?? 0));
  }

  private live(member: string, now: number): boolean {
    const expiresAt = this.revoked.get(member);
    return expiresAt !== undefined && expiresAt > now;
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [member, expiresAt] of this.revoked) if (expiresAt <= now) this.revoked.delete(member);
  }
}

/** The events that keep every replica's revocation set current; `broadcast`: each replica hears each one. */
@Controller()
export class RevocationEventsHandler {
  constructor(@Inject(RevocationSet) private readonly revocations: RevocationSet) {}

  @HandleEvent('session.logged_out', { broadcast: true })
  sessionLoggedOut(event: SessionLoggedOut): void {
    this.revocations.sessionLoggedOut(event);
  }

  @HandleEvent('token.revoked', { broadcast: true })
  tokenRevoked(event: TokenRevoked): void {
    this.revocations.tokenRevoked(event);
  }
}
