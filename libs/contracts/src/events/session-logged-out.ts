import { IsIn, IsISO8601, IsString, IsUUID, MaxLength } from 'class-validator';

export const LogoutReasons = ['host_logout', 'user_logout', 'expired', 'code_reuse', 'admin'] as const;
export type LogoutReason = (typeof LogoutReasons)[number];

export class SessionLoggedOut {
  @IsUUID()
  tenantId!: string;

  @IsString()
  @MaxLength(128)
  sessionId!: string;

  @IsString()
  @MaxLength(256)
  userId!: string;

  @IsIn(LogoutReasons)
  reason!: LogoutReason;

  /** When the session ended; gateways keep it revoked until the longest token lifetime has passed. */
  @IsISO8601()
  endedAt!: string;
}
