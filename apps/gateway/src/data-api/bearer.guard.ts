import {
  createParamDecorator,
  Inject,
  Injectable,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Scope } from '#contracts';
import { GatewayOptions } from '../gateway.options.js';
import { TenantDirectory } from '../tenants/tenant-directory.service.js';
import {
  AccessTokenVerifier,
  insufficientScope,
  invalidToken,
  type VerifiedAccessToken,
} from './access-token.verifier.js';

const REQUIRED_SCOPE = 'handover:required-scope';
/** RFC 6750 §2.1 `b64token`. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The scope a data-API route needs. */
export const RequireScope = (scope: Scope) => SetMetadata(REQUIRED_SCOPE, scope);

type DataApiRequest = FastifyRequest & { accessToken?: VerifiedAccessToken };

/** The verified access token of a data-API request (set by `BearerGuard`). */
export const AccessToken = createParamDecorator((_: unknown, context: ExecutionContext): VerifiedAccessToken => {
  const token = context.switchToHttp().getRequest<DataApiRequest>().accessToken;
  if (!token) throw invalidToken('no BearerGuard on this route');
  return token;
});

/**
 * The data API's door, as a list of checks:
 * 1. `bearerHeader`: the token comes from `Authorization: Bearer` only; one in the query or body is not looked
 *    at (RFC 6750 §2.3, RFC 9700 §4.3.2), so such a request has no token;
 * 2. `tenant`: the `/t/{tenant}` of the URL;
 * 3. `verify`: the token is the tenant's, valid and not revoked (`AccessTokenVerifier`);
 * 4. `scope`: it carries the scope the route needs, else 403 `insufficient_scope`.
 * Identity never comes from anywhere but the token: `?user_id=`, `X-User-Id` and the like are ignored.
 */
@Injectable()
export class BearerGuard implements CanActivate {
  constructor(
    @Inject(TenantDirectory) private readonly tenants: TenantDirectory,
    @Inject(AccessTokenVerifier) private readonly verifier: AccessTokenVerifier,
    @Inject(GatewayOptions) private readonly options: GatewayOptions,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<DataApiRequest>();
    const token = bearerHeader(request.headers.authorization);
    const tenant = await this.tenants.resolve((request.params as { tenant?: string }).tenant ?? '', request.id);
    const verified = await this.verifier.verify(token, tenant, this.options.issuer(tenant.slug), request.id);
    const scope = this.reflector.get<Scope | undefined>(REQUIRED_SCOPE, context.getHandler());
    if (scope !== undefined && !verified.scopes.has(scope)) throw insufficientScope(scope);
    request.accessToken = verified;
    return true;
  }
}

function bearerHeader(authorization: string | undefined): string {
  const match = authorization === undefined ? null : BEARER.exec(authorization);
  if (!match) throw invalidToken('no Bearer authorization header');
  return match[1];
}
