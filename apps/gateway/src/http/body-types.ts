import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * Fastify parses JSON, form and text bodies and refuses every other content type with 415 before a route sees
 * the request. The gateway's endpoints name the one type each accepts and refuse the others themselves, with
 * their own error (`invalid_request` at the OAuth endpoints, RFC 6749 §5.2), so any other type is read (within
 * the body limit, still 413 beyond it) and dropped: the route sees no body.
 */
export function acceptAnyBodyType(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => done(null, undefined));
}
