import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import {
  EventPayloads,
  RequestPayloads,
  validatePayload,
  type EventOf,
  type EventSubject,
  type ReplyOf,
  type RequestOf,
  type RequestSubject,
} from '#contracts';
import { BusContext } from './bus-context.js';

type RequestHandlerMethod<S extends RequestSubject> = (
  payload: RequestOf<S>,
  context: BusContext,
) => Promise<ReplyOf<S>> | ReplyOf<S>;

type EventHandlerMethod<E extends EventSubject> = (payload: EventOf<E>, context: BusContext) => Promise<void> | void;

/** Extras read by the transports: `broadcast` events reach every replica instead of one queue-group member. */
export interface HandlerExtras {
  broadcast?: boolean;
}

/**
 * Marks a method as the handler of a request subject. The method's parameter and return types are checked
 * against `RequestMap` at compile time, and the payload is validated against the subject's contract class on
 * receipt, before the method runs; an invalid payload is answered with `invalid_request`. The method's second
 * parameter, when it has one, is the message's `BusContext` (the caller's request id).
 */
export function HandleRequest<S extends RequestSubject>(subject: S) {
  return <M extends RequestHandlerMethod<S>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    asBusHandler(target, key, descriptor as PropertyDescriptor, RequestPayloads[subject]);
    MessagePattern(subject)(target, key, descriptor as PropertyDescriptor);
  };
}

/**
 * Marks a method as a listener of an event subject. With `{ broadcast: true }` every replica of the app hears
 * the event (cache invalidation, revocation sets); otherwise one member of the app's queue group does.
 */
export function HandleEvent<E extends EventSubject>(subject: E, extras: HandlerExtras = {}) {
  return <M extends EventHandlerMethod<E>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    asBusHandler(target, key, descriptor as PropertyDescriptor, EventPayloads[subject]);
    EventPattern(subject, extras as Record<string, unknown>)(target, key, descriptor as PropertyDescriptor);
  };
}

/**
 * Wraps the method so that it gets its payload validated against `payloadClass` and Nest's context as a
 * `BusContext`, and declares both parameters to Nest (without parameter decorators Nest passes the payload only).
 */
function asBusHandler(
  target: object,
  key: string | symbol,
  descriptor: PropertyDescriptor,
  payloadClass: unknown,
): void {
  const original = descriptor.value as (this: unknown, payload: unknown, context: BusContext) => unknown;
  const validated = function (this: unknown, payload: unknown, nestContext: unknown) {
    return original.call(this, validatePayload(payloadClass as never, payload), BusContext.of(nestContext));
  };
  Object.defineProperty(validated, 'name', { value: original.name });
  descriptor.value = validated;
  Payload()(target, key, 0);
  Ctx()(target, key, 1);
}
