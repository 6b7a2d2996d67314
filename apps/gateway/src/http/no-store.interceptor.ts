import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Observable } from 'rxjs';

/**
 * `Cache-Control: no-store` and `Pragma: no-cache` on every answer of an endpoint that hands out or inspects
 * credentials (RFC 6749 §5.1), set before the handler runs so that its errors carry them too.
 */
@Injectable()
export class NoStoreInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    void context
      .switchToHttp()
      .getResponse<FastifyReply>()
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache');
    return next.handle();
  }
}
