import type { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { httpRequestDuration, NestPinoLogger, REQUEST_ID_HEADER, sanitizeRequestId, type Logger } from '#observability';
import { ErrorFilter } from './error.filter.js';
import { toHttpError } from './http-error.js';

export interface HttpAppOptions {
  app: string;
  logger: Logger;
  /** Largest accepted request body, in bytes; bigger ones get 413. */
  bodyLimit: number;
  /** Log every request at info (off for back-end ops endpoints). */
  accessLog?: boolean;
}

/**
 * Creates a Nest application on Fastify (measurably cheaper per request than Express, see BENCH.md) with the
 * edge behaviour every app shares: request ids, JSON errors for everything (Nest routes Fastify's own errors,
 * such as body-parser failures and unknown routes, through the global filter), metrics per route, an access log.
 */
export async function createHttpApp(
  module: Type | DynamicModule,
  options: HttpAppOptions,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimit,
    routerOptions: { maxParamLength: 512 },
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) =>
      sanitizeRequestId(req.headers[REQUEST_ID_HEADER]),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // The router rejects a malformed URL (400) or an over-long path parameter (414) before Nest sees the
    // request, and Node rejects unparsable requests and oversized headers before Fastify does: answer those in
    // the same `{ error, error_description }` shape as everything else.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const { status, body, headers } = toHttpError(error, options.logger, request.id);
      void reply
        .status(status)
        .headers(headers)
        .header(REQUEST_ID_HEADER, request.id)
        .header('content-type', 'application/json; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(body);
    },
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: Socket) => answerClientError(error, socket),
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: new NestPinoLogger(options.logger),
    bodyParser: true,
  });
  app.useGlobalFilters(new ErrorFilter(options.logger));

  const fastify = app.getHttpAdapter().getInstance();
  const duration = httpRequestDuration();
  fastify.addHook('onRequest', (req, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, req.id);
    done();
  });
  fastify.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    duration.observe(
      { app: options.app, method: req.method, route, status: reply.statusCode },
      reply.elapsedTime / 1000,
    );
    if (options.accessLog) {
      options.logger.info({
        requestId: req.id,
        method: req.method,
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      });
    }
    done();
  });
  return app;
}

/** Node's `clientError` (a request it cannot parse), answered as JSON like Fastify's default, in our shape. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, body] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          'Request Header Fields Too Large',
          ['request_header_fields_too_large', 'the request headers are too large'],
        ]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', ['invalid_request', 'the request was not received in time']]
        : [400, 'Bad Request', ['invalid_request', 'malformed request']];
  const json = JSON.stringify({ error: body[0], error_description: body[1] });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Cache-Control: no-store\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(error);
}
