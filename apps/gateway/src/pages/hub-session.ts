import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_ID_PATTERN } from '#contracts';
import { constantEquals, randomToken } from '#security';

/**
 * The hub session cookie: the platform session id (256-bit random) of one tenant, HttpOnly, SameSite=Lax, and
 * Secure whenever the public base URL is https. Hosted pages read it; nothing else does.
 */
export function sessionCookieName(tenantSlug: string): string {
  return `handover_session_${tenantSlug}`;
}

const CSRF_COOKIE = 'handover_csrf';

function cookieOptions(baseUrl: string) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: baseUrl.startsWith('https:') };
}

export function readSessionId(request: FastifyRequest, tenantSlug: string): string | undefined {
  const value = request.cookies?.[sessionCookieName(tenantSlug)];
  return value && SESSION_ID_PATTERN.test(value) ? value : undefined;
}

export function setSessionCookie(
  reply: FastifyReply,
  baseUrl: string,
  tenantSlug: string,
  sessionId: string,
  maxAge: number,
) {
  void reply.setCookie(sessionCookieName(tenantSlug), sessionId, { ...cookieOptions(baseUrl), maxAge });
}

export function clearSessionCookie(reply: FastifyReply, baseUrl: string, tenantSlug: string) {
  void reply.clearCookie(sessionCookieName(tenantSlug), cookieOptions(baseUrl));
}

/**
 * CSRF protection for hosted forms (OWASP double-submit cookie, plus an Origin check): the form carries the
 * token, the cookie carries the same token, and a cross-site page can read neither.
 */
export function issueCsrfToken(request: FastifyRequest, reply: FastifyReply, baseUrl: string): string {
  const existing = request.cookies?.[CSRF_COOKIE];
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = randomToken(32);
  void reply.setCookie(CSRF_COOKIE, token, { ...cookieOptions(baseUrl), sameSite: 'strict' });
  return token;
}

export function checkCsrf(request: FastifyRequest, baseUrl: string, formToken: unknown): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== new URL(baseUrl).origin) return false;
  const cookie = request.cookies?.[CSRF_COOKIE];
  return (
    typeof formToken === 'string' &&
    typeof cookie === 'string' &&
    cookie.length > 0 &&
    constantEquals(formToken, cookie)
  );
}
