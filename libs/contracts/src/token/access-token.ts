/** RFC 9068 access tokens as the token app signs them and the gateway verifies them. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const ACCESS_TOKEN_ALG = 'ES256';
export const ACCESS_TOKEN_TTL_SECONDS = 1800;
export const CODE_TTL_SECONDS = 30;

/** The data API of a tenant is the audience of its access tokens. */
export function accessTokenAudience(issuer: string): string {
  return `${issuer}/api/v1`;
}

export interface AccessTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  client_id: string;
  sid: string;
  jti: string;
  scope: string;
  iat: number;
  exp: number;
}

export const Scopes = ['profile', 'accounts', 'vendor_data'] as const;
export type Scope = (typeof Scopes)[number];
