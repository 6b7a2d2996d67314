import { Inject, Injectable } from '@nestjs/common';
import { HandoverError, SESSION_ID_PATTERN, type AuthMethod, type TenantReply, type UserProfile } from '#contracts';
import { RpcClient } from '#messaging';
import type { CreatedSession, CreateSessionBody, IssueCodeBody, IssuedCode } from './sessions.dto.js';

/**
 * The host API: sessions for users the host hands over, and codes for its plugins. The host key has been checked
 * (`HostKeyGuard`) and the body validated against its DTO before any of this runs.
 */
@Injectable()
export class HostSessionsService {
  constructor(@Inject(RpcClient) private readonly rpc: RpcClient) {}

  /**
   * 1. `oneShape`: `{user}` or `{login, password}`, never both, never neither;
   * 2. `identify`: the host's word (`user-data.user.resolve`), or the password (`identity.password.verify`);
   * 3. `open`: the token app opens the session.
   */
  async create(tenant: TenantReply, body: CreateSessionBody, requestId: string): Promise<CreatedSession> {
    const shape = oneShape(body);
    const [user, authMethod]: [UserProfile, AuthMethod] =
      shape.kind === 'host'
        ? [
            await this.rpc.request('user-data.user.resolve', { tenantId: tenant.id, user: shape.user }, requestId),
            'host',
          ]
        : [
            await this.rpc.request(
              'identity.password.verify',
              { tenantId: tenant.id, login: shape.login, password: shape.password },
              requestId,
            ),
            'password',
          ];
    const session = await this.rpc.request(
      'token.session.create',
      {
        tenantId: tenant.id,
        user: { id: user.id, login: user.login, email: user.email ?? null, name: user.name ?? null },
        authMethod,
      },
      requestId,
    );
    return { session_id: session.sessionId, user: { id: user.id, login: user.login }, expires_in: session.expiresIn };
  }

  /** Idempotent: ending a session that has already ended, or never existed, is done. */
  async end(tenant: TenantReply, sessionId: string, requestId: string): Promise<void> {
    if (!SESSION_ID_PATTERN.test(sessionId)) return;
    await this.rpc.request('token.session.end', { tenantId: tenant.id, sessionId, reason: 'host_logout' }, requestId);
  }

  async issueCode(tenant: TenantReply, sessionId: string, body: IssueCodeBody, requestId: string): Promise<IssuedCode> {
    if (!SESSION_ID_PATTERN.test(sessionId)) throw new HandoverError('not_found', 'no such session');
    const issued = await this.rpc.request(
      'token.code.issue',
      {
        tenantId: tenant.id,
        sessionId,
        clientId: body.vendor,
        redirectUri: body.redirect_uri,
        codeChallenge: body.code_challenge,
        codeChallengeMethod: body.code_challenge_method,
        scope: body.scope,
      },
      requestId,
    );
    return { code: issued.code, expires_in: issued.expiresIn, config: issued.config };
  }
}

type SessionShape = { kind: 'host'; user: string } | { kind: 'password'; login: string; password: string };

function oneShape(body: CreateSessionBody): SessionShape {
  const credentials = body.login !== undefined || body.password !== undefined || body.email !== undefined;
  if (body.user !== undefined && credentials) {
    throw new HandoverError('invalid_request', 'send either {user} or {login, password}, not both');
  }
  if (body.user !== undefined) return { kind: 'host', user: body.user };
  if (body.login === undefined || body.password === undefined) {
    throw new HandoverError('invalid_request', 'send either {user} or {login, password}');
  }
  return { kind: 'password', login: body.login, password: body.password };
}
