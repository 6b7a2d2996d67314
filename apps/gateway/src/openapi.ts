import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** Serves the OpenAPI document at `/openapi.json` and a docs page at `/docs`. */
export function serveOpenApi(app: NestFastifyApplication, baseUrl: string): void {
  const config = new DocumentBuilder()
    .setTitle('Handover')
    .setDescription(
      'Single-sign-on handover: one-time codes, access tokens, the data API, hosted pages, host and admin APIs. ' +
        'Every error is `{"error", "error_description"}`; OAuth endpoints use the RFC 6749 §5.2 codes.',
    )
    .setVersion('0.1.0')
    .addServer(baseUrl)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Host or admin API key' }, 'api-key')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'Access token (RFC 9068) from the token endpoint',
      },
      'access-token',
    )
    .addBasicAuth({ type: 'http', scheme: 'basic', description: 'client_secret_basic: client_id and secret' }, 'client')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
}
