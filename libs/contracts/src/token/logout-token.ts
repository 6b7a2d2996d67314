import { IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { CLIENT_ID_PATTERN } from '../user-data/principals.js';

/** OIDC Back-Channel Logout 1.0 §2.4: the logout token's `typ`, its one event, and its lifetime. */
export const LOGOUT_TOKEN_TYPE = 'logout+jwt';
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
export const LOGOUT_TOKEN_TTL_SECONDS = 120;

/**
 * `token.logout-token.sign`: a fresh logout token (new `jti`, `iat`, `exp`) for one delivery attempt, signed with
 * the tenant's access-token key so the vendor verifies it against the same JWKS.
 */
export class SignLogoutTokenRequest {
  @IsUUID()
  tenantId!: string;

  /** The tenant's issuer, `<base>/t/{tenant}`. */
  @IsString()
  @MaxLength(2048)
  issuer!: string;

  /** The vendor's client id (the token's `aud`). */
  @IsString()
  @Matches(CLIENT_ID_PATTERN)
  audience!: string;

  @IsString()
  @MaxLength(256)
  sub!: string;

  /** The session's public handle (the access token's `sid`). */
  @IsString()
  @MaxLength(128)
  sid!: string;
}

export interface LogoutTokenReply {
  logoutToken: string;
}
