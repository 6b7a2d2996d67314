/** Lifetimes and limits of the token app (defaults in config/token.env.ts). */
export class TokenPolicy {
  sessionTtlSeconds!: number;
  clientFailuresPerMinute!: number;

  static readonly defaults: TokenPolicy = { sessionTtlSeconds: 8 * 3600, clientFailuresPerMinute: 60 };
}
