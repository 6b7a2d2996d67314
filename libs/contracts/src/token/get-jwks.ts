import { IsUUID } from 'class-validator';

export class GetJwksRequest {
  @IsUUID()
  tenantId!: string;
}

/** A public JWK as published at `/t/{tenant}/jwks` (no private members, ever). */
export interface PublicJwk {
  kty: string;
  kid: string;
  alg: string;
  use: 'sig';
  crv?: string;
  x?: string;
  y?: string;
}

export interface JwksReply {
  keys: PublicJwk[];
}
