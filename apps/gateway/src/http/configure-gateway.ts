import fastifyCookie from '@fastify/cookie';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { serveOpenApi } from '../openapi.js';
import { acceptAnyBodyType } from './body-types.js';
import { keepRawBodies } from './raw-body.js';

/**
 * The gateway's HTTP set-up before it listens, in both run modes: body types, raw bodies where a route asks for
 * them, cookies, the OpenAPI document.
 */
export async function configureGateway(app: NestFastifyApplication, baseUrl: string): Promise<void> {
  acceptAnyBodyType(app);
  keepRawBodies(app);
  // Hosted pages read the hub session and CSRF cookies.
  await app.register(fastifyCookie as never);
  serveOpenApi(app, baseUrl);
}
