import { createParamDecorator, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { TenantReply } from '#contracts';
import { TenantDirectory } from '../tenants/tenant-directory.service.js';
import { HostKeys, unauthorized } from './host-keys.service.js';

const BEARER = /^Bearer +(\S+) *$/i;

type HostApiRequest = FastifyRequest & { hostTenant?: TenantReply };

/** The tenant whose host key authenticated the request (set by `HostKeyGuard`). */
export const HostTenant = createParamDecorator((_: unknown, context: ExecutionContext): TenantReply => {
  const tenant = context.switchToHttp().getRequest<HostApiRequest>().hostTenant;
  if (!tenant) throw unauthorized('no HostKeyGuard on this route');
  return tenant;
});

/**
 * The host API's door (`/t/{tenant}/api/...`), as a list of checks:
 * 1. `bearerHeader`: `Authorization: Bearer <host key>`;
 * 2. `tenant`: the `/t/{tenant}` of the URL exists;
 * 3. `key`: user-data knows the key (cached per replica for 60 s, by the key's SHA-256);
 * 4. `hostKeyOfThisTenant`: it is a host key (not admin) and belongs to this tenant.
 * Every failure of 1, 3 and 4 is the same `401 unauthorized` with `WWW-Authenticate: Bearer`.
 */
@Injectable()
export class HostKeyGuard implements CanActivate {
  constructor(
    @Inject(TenantDirectory) private readonly tenants: TenantDirectory,
    @Inject(HostKeys) private readonly keys: HostKeys,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<HostApiRequest>();
    const presented = bearerHeader(request.headers.authorization);
    const tenant = await this.tenants.resolve((request.params as { tenant?: string }).tenant ?? '', request.id);
    const key = await this.keys.verify(presented, request.id);
    if (key.kind !== 'host' || key.tenantId !== tenant.id) throw unauthorized('not a host key of this tenant');
    request.hostTenant = tenant;
    return true;
  }
}

function bearerHeader(authorization: string | undefined): string {
  const match = authorization === undefined ? null : BEARER.exec(authorization);
  if (!match) throw unauthorized('no Bearer authorization header');
  return match[1];
}
