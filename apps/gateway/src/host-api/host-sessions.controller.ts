import { Controller, Delete, Header, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { TenantReply } from '#contracts';
import { JsonBody } from '../http/json-body.decorator.js';
import { RequestId } from '../http/request-id.decorator.js';
import { HostKeyGuard, HostTenant } from './host-key.guard.js';
import { HostSessionsService } from './host-sessions.service.js';
import { CreatedSession, CreateSessionBody, IssueCodeBody, IssuedCode } from './sessions.dto.js';

/** The host platform's API: hand its users over (sessions) and launch plugins (codes). */
@ApiTags('host-api')
@ApiParam({ name: 'tenant', description: 'The tenant slug.' })
@ApiBearerAuth('api-key')
@ApiUnauthorizedResponse({ description: '`unauthorized`: no host API key of this tenant.' })
@Controller('t/:tenant/api/sessions')
@UseGuards(HostKeyGuard)
export class HostSessionsController {
  constructor(@Inject(HostSessionsService) private readonly sessions: HostSessionsService) {}

  @Post()
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Open a session for a user: `{user}` (host-authenticated) or `{login, password}`' })
  @ApiBody({ type: CreateSessionBody })
  @ApiCreatedResponse({ type: CreatedSession })
  @ApiBadRequestResponse({ description: '`invalid_request`: not exactly one of the two shapes, or an unknown field.' })
  create(
    @HostTenant() tenant: TenantReply,
    @JsonBody(CreateSessionBody) body: CreateSessionBody,
    @RequestId() requestId: string,
  ): Promise<CreatedSession> {
    return this.sessions.create(tenant, body, requestId);
  }

  @Delete(':sid')
  @HttpCode(204)
  @ApiOperation({ summary: 'Log the session out: its tokens die at once and vendors are notified (idempotent)' })
  @ApiNoContentResponse({ description: 'Ended (also when it had already ended).' })
  end(
    @HostTenant() tenant: TenantReply,
    @Param('sid') sessionId: string,
    @RequestId() requestId: string,
  ): Promise<void> {
    return this.sessions.end(tenant, sessionId, requestId);
  }

  @Post(':sid/codes')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: "Issue a one-time code (30 s) for a vendor's plugin, with its configuration" })
  @ApiBody({ type: IssueCodeBody })
  @ApiCreatedResponse({ type: IssuedCode })
  @ApiNotFoundResponse({ description: 'No such live session.' })
  issueCode(
    @HostTenant() tenant: TenantReply,
    @Param('sid') sessionId: string,
    @JsonBody(IssueCodeBody) body: IssueCodeBody,
    @RequestId() requestId: string,
  ): Promise<IssuedCode> {
    return this.sessions.issueCode(tenant, sessionId, body, requestId);
  }
}
