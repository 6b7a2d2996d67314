import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { throwError, type Observable } from 'rxjs';
import { BusContext, toRpcErrorBody } from '#messaging';
import type { Logger } from '#observability';
import { toHttpError } from './http-error.js';

/**
 * The one global error filter of every app. Over HTTP, every error (Nest's, Fastify's body-parser errors,
 * unknown routes, ours) leaves as `{ error, error_description }` with its status; on the bus, it leaves as the
 * `RpcErrorBody` the caller rebuilds into the same error.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void | Observable<never> {
    if (host.getType() === 'rpc') {
      const { requestId } = BusContext.of(host.switchToRpc().getContext());
      return throwError(() => toRpcErrorBody(exception, this.logger, requestId));
    }
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const { status, body, headers } = toHttpError(exception, this.logger, http.getRequest<FastifyRequest>().id);
    if (reply.sent) return;
    // A route's own content type (`application/jwk-set+json`, `text/html`) does not describe an error body.
    void reply
      .status(status)
      .headers(headers)
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(body);
  }
}
