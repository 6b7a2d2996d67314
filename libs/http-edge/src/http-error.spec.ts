import { describe, expect, it, jest } from '@jest/globals';
import { BadRequestException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { DomainErrorCodes, HandoverError, OAuthErrorCodes } from '#contracts';
import type { Logger } from '#observability';
import { statusForError } from './error-status.js';
import { toHttpError, withResponseHeaders } from './http-error.js';

const logger = () =>
  ({ error: jest.fn(), warn: jest.fn(), info: jest.fn() }) as unknown as Logger & { error: jest.Mock };

describe(statusForError.name, () => {
  it('should give every error code a 4xx or 502-504 status, never 500', () => {
    for (const code of [...OAuthErrorCodes, ...DomainErrorCodes]) {
      const status = statusForError(code);
      expect(status === 500 || status < 400 || status > 504).toBe(false);
    }
  });

  it('should answer RFC 6749 §5.2 codes with their statuses', () => {
    expect(statusForError('invalid_client')).toBe(401);
    expect(statusForError('invalid_grant')).toBe(400);
    expect(statusForError('unsupported_grant_type')).toBe(400);
  });
});

describe(toHttpError.name, () => {
  it('should keep the code and public description of a HandoverError', () => {
    const sut = toHttpError(
      new HandoverError('not_found', 'no such tenant', { cause: new Error('secret detail') }),
      logger(),
      'req-1',
    );
    expect(sut).toEqual({
      status: 404,
      body: { error: 'not_found', error_description: 'no such tenant' },
      headers: {},
    });
  });

  it('should add Retry-After to temporarily_unavailable', () => {
    const sut = toHttpError(HandoverError.unavailable('NATS is down'), logger(), 'req-1');
    expect(sut.status).toBe(503);
    expect(sut.headers['retry-after']).toBe('1');
  });

  it('should send the headers attached with withResponseHeaders, keeping code and description', () => {
    const error = withResponseHeaders(new HandoverError('invalid_token', 'the access token is not valid'), {
      'WWW-Authenticate': 'Bearer error="invalid_token"',
    });
    expect(toHttpError(error, logger(), 'req-1')).toEqual({
      status: 401,
      body: { error: 'invalid_token', error_description: 'the access token is not valid' },
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    });
    expect(toHttpError(new HandoverError('invalid_token', 'x'), logger(), 'req-1').headers).toEqual({});
  });

  it('should map Nest and Fastify errors to JSON codes', () => {
    expect(toHttpError(new NotFoundException('Cannot GET /x'), logger(), 'req-1').body).toEqual({
      error: 'not_found',
      error_description: 'no such resource',
    });
    expect(toHttpError(new PayloadTooLargeException(), logger(), 'req-1').status).toBe(413);
    expect(
      toHttpError(new BadRequestException(['a must be a string', 'b is missing']), logger(), 'req-1').body
        .error_description,
    ).toBe('a must be a string; b is missing');
    const fastifyJsonError = Object.assign(
      new Error("Body is not valid JSON but content-type is set to 'application/json'"),
      {
        statusCode: 400,
        code: 'FST_ERR_CTP_INVALID_JSON_BODY',
      },
    );
    expect(toHttpError(fastifyJsonError, logger(), 'req-1').body).toEqual({
      error: 'invalid_request',
      error_description: 'the body is not valid JSON',
    });
  });

  it('should answer an unexpected error with 503 and an error id, never 500 or its message', () => {
    const log = logger();
    const sut = toHttpError(new TypeError('cannot read properties of undefined (internal detail)'), log, 'req-9');
    expect(sut.status).toBe(503);
    expect(sut.body.error).toBe('temporarily_unavailable');
    expect(sut.body.error_description).not.toContain('internal detail');
    const errorId = /error id ([0-9a-f-]{36})/.exec(sut.body.error_description)?.[1];
    expect(log.error).toHaveBeenCalledWith(
      expect.objectContaining({ errorId, requestId: 'req-9' }),
      expect.any(String),
    );
  });
});
