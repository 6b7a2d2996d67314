import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { CLIENT_ID_PATTERN } from '../user-data/principals.js';

export class IssueCodeRequest {
  @IsUUID()
  tenantId!: string;

  @IsString()
  @MaxLength(128)
  sessionId!: string;

  @IsString()
  @Matches(CLIENT_ID_PATTERN, { message: 'vendor must be a registered client_id' })
  clientId!: string;

  @IsOptional()
  @IsString()
  @MaxLength(2048)
  redirectUri?: string;

  @IsOptional()
  @IsString()
  @MaxLength(128)
  codeChallenge?: string;

  @IsOptional()
  @IsIn(['S256', 'plain'])
  codeChallengeMethod?: 'S256' | 'plain';

  /** Space-separated subset of the vendor's registered scopes; all of them when absent. */
  @IsOptional()
  @IsString()
  @MaxLength(512)
  scope?: string;
}

export interface IssueCodeReply {
  code: string;
  expiresIn: number;
  /** The URI the code is bound to (the vendor's plugin URL unless a registered redirect_uri was given). */
  redirectUri: string;
  /** The vendor's configuration parameters, handed to the plugin with the code. */
  config: Record<string, unknown>;
  scope: string;
}

/** Client credentials as read at the edge; the token app authenticates them. */
class ClientAuthenticated {
  @IsUUID()
  tenantId!: string;

  /** The tenant's issuer, `<base>/t/{tenant}`, as the gateway publishes it. */
  @IsString()
  @MaxLength(2048)
  issuer!: string;

  @IsString()
  @MaxLength(512)
  clientId!: string;

  @IsString()
  @MaxLength(512)
  clientSecret!: string;
}

export class ExchangeCodeRequest extends ClientAuthenticated {
  @IsString()
  @MaxLength(512)
  code!: string;

  @IsOptional()
  @IsString()
  @MaxLength(2048)
  redirectUri?: string;

  @IsOptional()
  @IsString()
  @MaxLength(512)
  codeVerifier?: string;
}

export interface TokenReply {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export class IntrospectRequest extends ClientAuthenticated {
  @IsString()
  @MaxLength(8192)
  token!: string;
}

/** RFC 7662: exactly `{ active: false }` for anything inactive. */
export type IntrospectionReply =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      sub: string;
      sid: string;
      exp: number;
      iat: number;
      iss: string;
      aud: string;
      jti: string;
      token_type: 'Bearer';
    };

export class RevokeRequest extends ClientAuthenticated {
  @IsString()
  @MaxLength(8192)
  token!: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  tokenTypeHint?: string;
}

export interface RevokeReply {
  revoked: boolean;
}
