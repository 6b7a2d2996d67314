import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { pipeline, Transform } from 'node:stream';

/**
 * Route config (`@RouteConfig(KEEP_RAW_BODY)`) for an endpoint that needs the body's bytes exactly as they came,
 * such as a webhook receiver checking a signature over them: a parsed and re-serialized body would not verify.
 */
export const KEEP_RAW_BODY = { keepRawBody: true } as const;

const rawBodies = new WeakMap<FastifyRequest, Buffer[]>();

/**
 * Copies the body of every `KEEP_RAW_BODY` route aside as it streams past Fastify's body parser, which still reads
 * it (and so still enforces the body limit, 413, and the declared length). Other routes are untouched.
 */
export function keepRawBodies(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('preParsing', (request, _reply, payload, done) => {
      if ((request.routeOptions.config as { keepRawBody?: unknown }).keepRawBody !== true) {
        done(null, payload);
        return;
      }
      const chunks: Buffer[] = [];
      rawBodies.set(request, chunks);
      const tee = new Transform({
        transform(chunk: Buffer, _encoding, next) {
          chunks.push(chunk);
          next(null, chunk);
        },
      });
      // An aborted upload fails the tee, and with it the parser reading from it.
      done(
        null,
        pipeline(payload, tee, () => undefined),
      );
    });
}

/** The body's bytes as received, for a `KEEP_RAW_BODY` route (empty when no body was sent). */
export function rawBodyOf(request: FastifyRequest): Buffer {
  const chunks = rawBodies.get(request);
  // preParsing runs for every request, with or without a body: no entry means the hook is not installed.
  if (!chunks) throw new Error('raw body not kept: the route lacks KEEP_RAW_BODY, or keepRawBodies() was not called');
  return Buffer.concat(chunks);
}
