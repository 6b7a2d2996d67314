import { describe, expect, it } from '@jest/globals';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { NatsContext } from '@nestjs/microservices';
import { BusContext } from './bus-context.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('BusContext.of', () => {
  it('should keep a BusContext as it is', () => {
    const context = new BusContext('req-1');
    expect(BusContext.of(context)).toBe(context);
  });

  it("should read the request id from a NatsContext's x-request-id header", () => {
    const h = natsHeaders();
    h.set('x-request-id', 'req-2');
    expect(BusContext.of(new NatsContext(['subject', h])).requestId).toBe('req-2');
  });

  it('should mint an id when the header is missing or unsafe, or there is no context', () => {
    const unsafe = natsHeaders();
    unsafe.set('x-request-id', 'a b\u0000c');
    expect(BusContext.of(new NatsContext(['subject', unsafe])).requestId).toMatch(UUID);
    expect(BusContext.of(new NatsContext(['subject', undefined as never])).requestId).toMatch(UUID);
    expect(BusContext.of(undefined).requestId).toMatch(UUID);
  });
});
