import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { HandoverError, validatePayload, type PayloadClass } from '#contracts';

/**
 * The request's JSON body, validated against `cls` (unknown fields refused, not dropped): `invalid_request`
 * for another content type, a body that is not a JSON object, or a field that breaks a rule.
 */
export const JsonBody = createParamDecorator((cls: PayloadClass<object>, context: ExecutionContext) =>
  validatePayload(cls, jsonObjectOf(context.switchToHttp().getRequest<FastifyRequest>())),
);

/**
 * `JsonBody` for an action whose fields are all optional (`POST .../rotate-secret`): a request with no body at all
 * reads as `{}`. Without `cls` the action takes no fields: only no body or `{}` passes.
 */
export const OptionalJsonBody = createParamDecorator(
  (cls: PayloadClass<object> | undefined, context: ExecutionContext) => {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const body = hasNoBody(request) ? {} : jsonObjectOf(request);
    if (cls) return validatePayload(cls, body);
    if (Object.keys(body).length > 0) throw new HandoverError('invalid_request', 'this action takes no fields');
    return body;
  },
);

function jsonObjectOf(request: FastifyRequest): object {
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new HandoverError('invalid_request', 'the body must be application/json');
  }
  const body: unknown = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HandoverError('invalid_request', 'the body must be a JSON object');
  }
  return body;
}

/** No bytes were sent (an empty `application/json` body never gets here: Fastify refuses it with 400). */
function hasNoBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}
