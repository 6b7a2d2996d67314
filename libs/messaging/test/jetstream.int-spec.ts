/**
 * DurableStreams against the machine's real NATS JetStream, on a stream and subjects named after this run's
 * prefix (deleted afterwards). Nothing is mocked.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, DurableStreams } from '#messaging';
import { currentTestRun } from '#testing';

const ms = (nanos: number) => nanos / 1_000_000;

describe(DurableStreams.name, () => {
  const run = currentTestRun();
  // Stream names may not contain dots; the run's prefix has none.
  const stream = `${run.subjectPrefix}_deliveries`;
  const subject = (name: string) => `${run.subjectPrefix}.int.deliveries.${name}`;
  const spec = { name: stream, subjects: [`${run.subjectPrefix}.int.deliveries.>`], duplicateWindowMs: 60_000 };

  let connection: NatsConnection;
  let manager: JetStreamManager;
  let sut: DurableStreams;

  beforeAll(async () => {
    connection = await connectNats({
      url: run.natsUrl,
      subjectPrefix: run.subjectPrefix,
      requestTimeoutMs: 2000,
      name: 'int-test-jetstream',
    });
    manager = await jetstreamManager(connection);
    sut = await DurableStreams.open(connection);
    await sut.ensureStream(spec);
  });

  afterAll(async () => {
    await sut?.deleteStream(stream).catch(() => false);
    await connection?.drain();
  });

  describe('ensureStream', () => {
    it('should create a file-backed stream with the duplicate window asked for', async () => {
      const info = await manager.streams.info(stream);

      expect(info.config).toMatchObject({ name: stream, subjects: spec.subjects, storage: 'file' });
      expect(ms(info.config.duplicate_window)).toBe(60_000);
    });

    it('should be idempotent: ensuring an existing stream keeps its messages', async () => {
      await sut.publish(subject('idempotent'), 'kept', `idempotent-${Date.now()}`);
      const before = (await manager.streams.info(stream)).state.messages;

      await sut.ensureStream(spec);
      await sut.ensureStream(spec);

      const after = await manager.streams.info(stream);
      expect(after.state.messages).toBe(before);
      expect(before).toBeGreaterThan(0);
      expect(ms(after.config.duplicate_window)).toBe(60_000);
    });

    it("should update an existing stream's settings", async () => {
      await sut.ensureStream({ ...spec, maxAgeMs: 3_600_000 });

      await expect(manager.streams.info(stream)).resolves.toMatchObject({
        config: { max_age: 3_600_000 * 1_000_000 },
      });
    });
  });

  describe('publish', () => {
    it('should store a message published twice with the same id once', async () => {
      const before = (await manager.streams.info(stream)).state.messages;

      const first = await sut.publish(subject('dedup'), '{"attempt":1}', 'webhook-msg-1');
      const second = await sut.publish(subject('dedup'), '{"attempt":2}', 'webhook-msg-1');

      expect(first.duplicate).toBe(false);
      expect(second).toMatchObject({ duplicate: true, seq: first.seq, stream });
      await expect(manager.streams.info(stream)).resolves.toMatchObject({ state: { messages: before + 1 } });
      const stored = await manager.streams.getMessage(stream, { seq: first.seq });
      expect(stored?.string()).toBe('{"attempt":1}');
    });

    it('should store messages with different ids separately', async () => {
      const a = await sut.publish(subject('dedup'), 'a', 'webhook-msg-a');
      const b = await sut.publish(subject('dedup'), 'b', 'webhook-msg-b');

      expect([a.duplicate, b.duplicate]).toEqual([false, false]);
      expect(b.seq).toBeGreaterThan(a.seq);
    });

    it('should refuse a subject no stream captures rather than drop the message silently', async () => {
      await expect(sut.publish(`${run.subjectPrefix}.int.nowhere`, 'lost', 'nowhere-1')).rejects.toThrow();
    });
  });

  describe('durable consumer', () => {
    const durable = 'int-dispatcher';
    const consumerSubject = subject('consumer');

    beforeAll(async () => {
      await sut.ensureConsumer(stream, durable, {
        ack_wait_ms: 500,
        max_deliver: 5,
        filter_subject: consumerSubject,
      });
    });

    it('should be idempotent: ensuring the consumer again keeps its settings', async () => {
      await sut.ensureConsumer(stream, durable, { ack_wait_ms: 500, max_deliver: 5, filter_subject: consumerSubject });

      const info = await manager.consumers.info(stream, durable);
      expect(info.config).toMatchObject({ durable_name: durable, ack_policy: 'explicit', max_deliver: 5 });
      expect(ms(info.config.ack_wait ?? 0)).toBe(500);
    });

    it('should redeliver an unacknowledged message after ack_wait, and not an acknowledged one', async () => {
      await sut.publish(consumerSubject, '{"n":1}', 'consumer-msg-1');
      const consumer = await sut.consumer(stream, durable);

      const first = await consumer.next({ expires: 2000 });
      expect(first?.string()).toBe('{"n":1}');
      expect(first?.info.deliveryCount).toBe(1);
      const receivedAt = performance.now();
      // Not acknowledged: the dispatcher "crashed" while delivering.

      const again = await consumer.next({ expires: 3000 });
      const waited = performance.now() - receivedAt;
      expect(again?.seq).toBe(first?.seq);
      expect(again?.redelivered).toBe(true);
      expect(again?.info.deliveryCount).toBe(2);
      // Not before the ack deadline (a little slack for clocks), and not long after it either.
      expect(waited).toBeGreaterThanOrEqual(400);
      expect(waited).toBeLessThan(3000);
      await expect(again!.ackAck()).resolves.toBe(true);

      // A fresh handle on the durable consumer resumes after the acknowledged message.
      await sut.publish(consumerSubject, '{"n":2}', 'consumer-msg-2');
      const resumed = await (await sut.consumer(stream, durable)).next({ expires: 2000 });
      expect(resumed?.string()).toBe('{"n":2}');
      expect(resumed?.info.deliveryCount).toBe(1);
      resumed?.ack();
    });
  });

  describe('check', () => {
    it('should pass while JetStream answers', async () => {
      await expect(sut.check()).resolves.toBeUndefined();
    });
  });
});
