/** Lifetimes, limits and background intervals of the token app (defaults in config/token.env.ts). */
export class TokenPolicy {
  sessionTtlSeconds!: number;
  clientFailuresPerMinute!: number;
  /** How often expired sessions are turned into `session.logged_out` events. */
  sessionSweepIntervalMs!: number;
  /** How often the outbox relay looks for events nobody nudged it about. */
  outboxPollIntervalMs!: number;

  static readonly defaults: TokenPolicy = {
    sessionTtlSeconds: 8 * 3600,
    clientFailuresPerMinute: 60,
    sessionSweepIntervalMs: 5000,
    outboxPollIntervalMs: 1000,
  };
}
