import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { HandoverError, validatePayload, type PayloadClass } from '#contracts';

/**
 * The request's JSON body, validated against `cls` (unknown fields refused, not dropped): `invalid_request`
 * for another content type, a body that is not a JSON object, or a field that breaks a rule.
 */
export const JsonBody = createParamDecorator((cls: PayloadClass<object>, context: ExecutionContext) => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new HandoverError('invalid_request', 'the body must be application/json');
  }
  const body: unknown = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HandoverError('invalid_request', 'the body must be a JSON object');
  }
  return validatePayload(cls, body);
});
