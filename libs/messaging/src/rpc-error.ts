import { randomUUID } from 'node:crypto';
import { HandoverError, type RpcErrorBody } from '#contracts';
import type { Logger } from '#observability';

/**
 * What a bus handler's failure becomes on the wire. Expected failures (`HandoverError`) cross as their public
 * body; anything else is logged with an error id and crosses as `temporarily_unavailable` carrying only that
 * id, so no internal detail leaves the service.
 */
export function toRpcErrorBody(exception: unknown, logger: Logger, requestId: string): RpcErrorBody {
  if (exception instanceof HandoverError) return exception.toBody();
  const errorId = randomUUID();
  logger.error({ err: exception, errorId, requestId }, 'unexpected error in a bus handler');
  return {
    error: 'temporarily_unavailable',
    error_description: `unexpected condition (error id ${errorId})`,
    retry_after: 1,
  };
}
