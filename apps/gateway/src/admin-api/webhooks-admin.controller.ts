import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { MessageStatuses } from '#contracts';
import { JsonBody, OptionalJsonBody } from '../http/json-body.decorator.js';
import { NoStoreInterceptor } from '../http/no-store.interceptor.js';
import { ValidQuery } from '../http/query.decorator.js';
import { RequestId } from '../http/request-id.decorator.js';
import { AdminKeyGuard } from './admin-key.guard.js';
import {
  CreatedWebhookEndpoint,
  CreateWebhookEndpointBody,
  ListMessagesQuery,
  Replayed,
  ReplayRangeBody,
  RotatedSecret,
  RotateSecretBody,
  UpdateWebhookEndpointBody,
  WebhookEndpoint,
  WebhookEndpoints,
  WebhookMessageDetail,
  WebhookMessages,
} from './webhooks-admin.dto.js';
import { WebhooksAdminService } from './webhooks-admin.service.js';

const ENDPOINT_ID = { name: 'endpoint_id', description: 'The endpoint id (a UUID).' } as const;
const MESSAGE_ID = { name: 'message_id', description: 'The message id, the `webhook-id` (`msg_…`).' } as const;
const NO_ENDPOINT = { description: '`not_found`: no such tenant, or no such endpoint in it.' } as const;
const NO_MESSAGE = { description: '`not_found`: no such tenant, or no such message in it.' } as const;

/**
 * The operator's API for vendors' webhook endpoints (SPEC §6, §7): endpoints and their secrets (shown once),
 * the delivery log per message and attempt, and replay with the same `webhook-id`.
 */
@ApiTags('admin-api')
@ApiBearerAuth('api-key')
@ApiParam({ name: 'tenant', description: 'The tenant slug.' })
@ApiUnauthorizedResponse({ description: '`unauthorized`: no admin API key.' })
@ApiBadRequestResponse({ description: '`invalid_request`: a field breaks a rule, or an unknown field.' })
@ApiServiceUnavailableResponse({ description: '`temporarily_unavailable`: the webhooks app is unreachable.' })
@Controller('admin/tenants/:tenant')
@UseGuards(AdminKeyGuard)
@UseInterceptors(NoStoreInterceptor)
export class WebhooksAdminController {
  constructor(@Inject(WebhooksAdminService) private readonly webhooks: WebhooksAdminService) {}

  @Post('vendors/:vendor/webhooks')
  @ApiOperation({
    summary: "Register a vendor's webhook (or back-channel logout) endpoint; its `whsec_` secret is shown once",
  })
  @ApiParam({ name: 'vendor', description: "The vendor's client_id." })
  @ApiBody({ type: CreateWebhookEndpointBody })
  @ApiCreatedResponse({ type: CreatedWebhookEndpoint })
  @ApiNotFoundResponse({ description: '`not_found`: no such tenant, or no such vendor in it.' })
  create(
    @Param('tenant') tenant: string,
    @Param('vendor') vendor: string,
    @JsonBody(CreateWebhookEndpointBody) body: CreateWebhookEndpointBody,
    @RequestId() requestId: string,
  ): Promise<CreatedWebhookEndpoint> {
    return this.webhooks.create(tenant, vendor, body, requestId);
  }

  @Get('vendors/:vendor/webhooks')
  @ApiOperation({ summary: "A vendor's webhook endpoints" })
  @ApiParam({ name: 'vendor', description: "The vendor's client_id." })
  @ApiOkResponse({ type: WebhookEndpoints })
  @ApiNotFoundResponse({ description: '`not_found`: no such tenant, or no such vendor in it.' })
  listOfVendor(
    @Param('tenant') tenant: string,
    @Param('vendor') vendor: string,
    @RequestId() requestId: string,
  ): Promise<WebhookEndpoints> {
    return this.webhooks.list(tenant, vendor, requestId);
  }

  @Get('webhooks')
  @ApiOperation({ summary: "Every webhook endpoint of the tenant's vendors" })
  @ApiOkResponse({ type: WebhookEndpoints })
  @ApiNotFoundResponse({ description: '`not_found`: no such tenant.' })
  list(@Param('tenant') tenant: string, @RequestId() requestId: string): Promise<WebhookEndpoints> {
    return this.webhooks.list(tenant, undefined, requestId);
  }

  @Get('webhooks/:endpoint_id')
  @ApiOperation({ summary: 'One webhook endpoint, with its enabled and failing state' })
  @ApiParam(ENDPOINT_ID)
  @ApiOkResponse({ type: WebhookEndpoint })
  @ApiNotFoundResponse(NO_ENDPOINT)
  get(
    @Param('tenant') tenant: string,
    @Param('endpoint_id') endpointId: string,
    @RequestId() requestId: string,
  ): Promise<WebhookEndpoint> {
    return this.webhooks.get(tenant, endpointId, requestId);
  }

  @Patch('webhooks/:endpoint_id')
  @ApiOperation({ summary: "Change an endpoint's URL, event types, description or enabled state" })
  @ApiParam(ENDPOINT_ID)
  @ApiBody({ type: UpdateWebhookEndpointBody })
  @ApiOkResponse({ type: WebhookEndpoint })
  @ApiNotFoundResponse(NO_ENDPOINT)
  update(
    @Param('tenant') tenant: string,
    @Param('endpoint_id') endpointId: string,
    @JsonBody(UpdateWebhookEndpointBody) body: UpdateWebhookEndpointBody,
    @RequestId() requestId: string,
  ): Promise<WebhookEndpoint> {
    return this.webhooks.update(tenant, endpointId, body, requestId);
  }

  @Delete('webhooks/:endpoint_id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an endpoint: its deliveries stop and its delivery log goes with it' })
  @ApiParam(ENDPOINT_ID)
  @ApiNoContentResponse({ description: 'Removed.' })
  @ApiNotFoundResponse(NO_ENDPOINT)
  delete(
    @Param('tenant') tenant: string,
    @Param('endpoint_id') endpointId: string,
    @RequestId() requestId: string,
  ): Promise<void> {
    return this.webhooks.delete(tenant, endpointId, requestId);
  }

  @Post('webhooks/:endpoint_id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({
    summary: 'A new `whsec_` secret (shown once); the old one keeps signing beside it for the overlap',
  })
  @ApiParam(ENDPOINT_ID)
  @ApiBody({ type: RotateSecretBody, required: false })
  @ApiOkResponse({ type: RotatedSecret })
  @ApiNotFoundResponse(NO_ENDPOINT)
  rotateSecret(
    @Param('tenant') tenant: string,
    @Param('endpoint_id') endpointId: string,
    @OptionalJsonBody(RotateSecretBody) body: RotateSecretBody,
    @RequestId() requestId: string,
  ): Promise<RotatedSecret> {
    return this.webhooks.rotateSecret(tenant, endpointId, body, requestId);
  }

  @Get('webhooks/:endpoint_id/messages')
  @ApiOperation({ summary: "One page of an endpoint's delivery log, newest first" })
  @ApiParam(ENDPOINT_ID)
  @ApiQuery({ name: 'status', required: false, enum: MessageStatuses })
  @ApiQuery({ name: 'since', required: false, type: String, description: 'Created at or after (ISO 8601).' })
  @ApiQuery({ name: 'until', required: false, type: String, description: 'Created before (ISO 8601).' })
  @ApiQuery({
    name: 'limit',
    required: false,
    type: Number,
    description: 'Page size, at least 1 (larger than 200 is clamped to 200).',
  })
  @ApiQuery({ name: 'cursor', required: false, type: String, description: 'The `next_cursor` of the previous page.' })
  @ApiOkResponse({ type: WebhookMessages })
  @ApiNotFoundResponse(NO_ENDPOINT)
  messages(
    @Param('tenant') tenant: string,
    @Param('endpoint_id') endpointId: string,
    @ValidQuery(ListMessagesQuery) query: ListMessagesQuery,
    @RequestId() requestId: string,
  ): Promise<WebhookMessages> {
    return this.webhooks.messages(tenant, endpointId, query, requestId);
  }

  @Post('webhooks/:endpoint_id/replay')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send again every (or every failed) message of the endpoint created in [since, until), ids unchanged',
  })
  @ApiParam(ENDPOINT_ID)
  @ApiBody({ type: ReplayRangeBody })
  @ApiAcceptedResponse({ type: Replayed })
  @ApiNotFoundResponse(NO_ENDPOINT)
  replayRange(
    @Param('tenant') tenant: string,
    @Param('endpoint_id') endpointId: string,
    @JsonBody(ReplayRangeBody) body: ReplayRangeBody,
    @RequestId() requestId: string,
  ): Promise<Replayed> {
    return this.webhooks.replayRange(tenant, endpointId, body, requestId);
  }

  @Get('webhook-messages/:message_id')
  @ApiOperation({ summary: 'One message: its payload as sent and every attempt (status, latency, response excerpt)' })
  @ApiParam(MESSAGE_ID)
  @ApiOkResponse({ type: WebhookMessageDetail })
  @ApiNotFoundResponse(NO_MESSAGE)
  message(
    @Param('tenant') tenant: string,
    @Param('message_id') messageId: string,
    @RequestId() requestId: string,
  ): Promise<WebhookMessageDetail> {
    return this.webhooks.message(tenant, messageId, requestId);
  }

  @Post('webhook-messages/:message_id/replay')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send one message again now, with the same `webhook-id`, signed afresh (takes no body)' })
  @ApiParam(MESSAGE_ID)
  @ApiAcceptedResponse({ type: Replayed })
  @ApiNotFoundResponse(NO_MESSAGE)
  replayMessage(
    @Param('tenant') tenant: string,
    @Param('message_id') messageId: string,
    @OptionalJsonBody() _body: object,
    @RequestId() requestId: string,
  ): Promise<Replayed> {
    return this.webhooks.replayMessage(tenant, messageId, requestId);
  }
}
