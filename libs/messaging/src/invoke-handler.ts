import type { MessageHandler } from '@nestjs/microservices';
import { defaultIfEmpty, isObservable, lastValueFrom } from 'rxjs';
import type { BusContext } from './bus-context.js';

/**
 * Runs one of Nest's registered message handlers outside Nest's own transport loop (our batches, the in-process
 * broker) and settles with its answer. Nest's handler answers with a value, a promise or an observable; a failure
 * rejects with what Nest's exception zone made of it (the error filter's `RpcErrorBody`).
 */
export async function invokeHandler(handler: MessageHandler, data: unknown, context: BusContext): Promise<unknown> {
  const result: unknown = await handler(data, context);
  return isObservable(result) ? await lastValueFrom(result.pipe(defaultIfEmpty(undefined))) : result;
}
