import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { HandoverError } from '#contracts';
import { withResponseHeaders } from '#http-edge';
import { HostKeys } from '../host-api/host-keys.service.js';

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * The admin API's door (`/admin/...`):
 * 1. `Authorization: Bearer <admin key>`;
 * 2. user-data knows the key (`user-data.api-key.verify`, remembered per replica for 60 s by the key's SHA-256:
 *    the cache of `HostKeys`, which holds host and admin keys alike);
 * 3. it is an admin key (no tenant), not a host key.
 * Every failure of the three is the same `401 unauthorized` with `WWW-Authenticate: Bearer`; an unavailable
 * user-data stays a 503.
 */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  constructor(@Inject(HostKeys) private readonly keys: HostKeys) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const authorization = request.headers.authorization;
    const match = authorization === undefined ? null : BEARER.exec(authorization);
    if (!match) throw adminUnauthorized('no Bearer authorization header');
    let key;
    try {
      key = await this.keys.verify(match[1], request.id);
    } catch (err) {
      if (err instanceof HandoverError && err.code === 'unauthorized') throw adminUnauthorized(err);
      throw err;
    }
    if (key.kind !== 'admin' || key.tenantId !== null) throw adminUnauthorized('not an admin key');
    return true;
  }
}

/** `401 unauthorized` with the `WWW-Authenticate: Bearer` challenge: every admin-key failure is this one answer. */
export function adminUnauthorized(cause?: unknown): HandoverError {
  return withResponseHeaders(new HandoverError('unauthorized', 'a valid admin API key is required', { cause }), {
    'www-authenticate': 'Bearer',
  });
}
