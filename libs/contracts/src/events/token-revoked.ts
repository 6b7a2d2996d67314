import { IsISO8601, IsString, IsUUID, MaxLength } from 'class-validator';

/** One access token was revoked (RFC 7009, or code reuse): every gateway replica adds its `jti` to its revocation set. */
export class TokenRevoked {
  @IsUUID()
  tenantId!: string;

  @IsString()
  @MaxLength(128)
  jti!: string;

  /** The token's own expiry: after it, the entry can be dropped. */
  @IsISO8601()
  expiresAt!: string;
}
