import { Type } from 'class-transformer';
import { IsIn, IsOptional, IsString, IsUUID, MaxLength, ValidateNested } from 'class-validator';
import { LogoutReasons, type LogoutReason } from '../events/session-logged-out.js';

export class SessionUser {
  @IsUUID()
  id!: string;

  @IsString()
  @MaxLength(256)
  login!: string;

  @IsOptional()
  @IsString()
  @MaxLength(320)
  email!: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  name!: string | null;
}

export const AuthMethods = ['host', 'password', 'custom_idp', 'partner_jwt', 'partner_hash', 'partner_oauth'] as const;
export type AuthMethod = (typeof AuthMethods)[number];

export class CreateSessionRequest {
  @IsUUID()
  tenantId!: string;

  @ValidateNested()
  @Type(() => SessionUser)
  user!: SessionUser;

  @IsIn(AuthMethods)
  authMethod!: AuthMethod;
}

export interface CreateSessionReply {
  sessionId: string;
  expiresIn: number;
}

/** A platform session as stored (short-lived store) and read by the token app and the gateway's `/me`. */
export interface SessionRecord {
  sid: string;
  tenantId: string;
  user: { id: string; login: string; email: string | null; name: string | null };
  authMethod: AuthMethod;
  createdAt: string;
  expiresAt: string;
}

/** Session ids are 256-bit random, base64url. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export class EndSessionRequest {
  @IsUUID()
  tenantId!: string;

  @IsString()
  @MaxLength(128)
  sessionId!: string;

  @IsIn(LogoutReasons)
  reason!: LogoutReason;
}

export interface EndSessionReply {
  /** False when the session had already ended (the call is idempotent). */
  ended: boolean;
}

export class GetSessionRequest {
  @IsUUID()
  tenantId!: string;

  @IsString()
  @MaxLength(128)
  sessionId!: string;
}
