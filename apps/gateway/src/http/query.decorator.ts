import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { validatePayload, type PayloadClass } from '#contracts';

/**
 * The request's query parameters, validated against `cls`: an unknown parameter, a repeated one (it arrives as an
 * array) or one that breaks a rule is `invalid_request`.
 */
export const ValidQuery = createParamDecorator((cls: PayloadClass<object>, context: ExecutionContext) =>
  validatePayload(cls, { ...(context.switchToHttp().getRequest<FastifyRequest>().query as object) }),
);
