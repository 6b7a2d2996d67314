import { Controller, Inject, Param, Post, UseGuards, UseInterceptors } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { JsonBody } from '../http/json-body.decorator.js';
import { NoStoreInterceptor } from '../http/no-store.interceptor.js';
import { RequestId } from '../http/request-id.decorator.js';
import { AdminKeyGuard } from './admin-key.guard.js';
import { AdminService } from './admin.service.js';
import {
  CreatedTenant,
  CreatedUser,
  CreatedVendor,
  CreateTenantBody,
  CreateUserBody,
  CreateVendorBody,
} from './admin.dto.js';

/** The operator's API: tenants and what belongs to them. Secrets it hands out are shown once. */
@ApiTags('admin-api')
@ApiBearerAuth('api-key')
@ApiUnauthorizedResponse({ description: '`unauthorized`: no admin API key.' })
@ApiBadRequestResponse({ description: '`invalid_request`: a field breaks a rule, or an unknown field.' })
@Controller('admin/tenants')
@UseGuards(AdminKeyGuard)
@UseInterceptors(NoStoreInterceptor)
export class AdminController {
  constructor(@Inject(AdminService) private readonly admin: AdminService) {}

  @Post()
  @ApiOperation({ summary: 'Create a tenant and its host API key (shown once)' })
  @ApiBody({ type: CreateTenantBody })
  @ApiCreatedResponse({ type: CreatedTenant })
  @ApiConflictResponse({ description: '`conflict`: the slug is taken.' })
  createTenant(
    @JsonBody(CreateTenantBody) body: CreateTenantBody,
    @RequestId() requestId: string,
  ): Promise<CreatedTenant> {
    return this.admin.createTenant(body, requestId);
  }

  @Post(':tenant/vendors')
  @ApiOperation({ summary: 'Register a vendor (confidential OAuth client); its client secret is shown once' })
  @ApiParam({ name: 'tenant', description: 'The tenant slug.' })
  @ApiBody({ type: CreateVendorBody })
  @ApiCreatedResponse({ type: CreatedVendor })
  @ApiNotFoundResponse({ description: '`not_found`: no such tenant.' })
  @ApiConflictResponse({ description: '`conflict`: the client_id is taken in the tenant.' })
  createVendor(
    @Param('tenant') tenant: string,
    @JsonBody(CreateVendorBody) body: CreateVendorBody,
    @RequestId() requestId: string,
  ): Promise<CreatedVendor> {
    return this.admin.createVendor(tenant, body, requestId);
  }

  @Post(':tenant/users')
  @ApiOperation({ summary: 'Create a local user of the tenant, with an optional password' })
  @ApiParam({ name: 'tenant', description: 'The tenant slug.' })
  @ApiBody({ type: CreateUserBody })
  @ApiCreatedResponse({ type: CreatedUser })
  @ApiNotFoundResponse({ description: '`not_found`: no such tenant.' })
  @ApiConflictResponse({ description: '`conflict`: the login is taken in the tenant.' })
  createUser(
    @Param('tenant') tenant: string,
    @JsonBody(CreateUserBody) body: CreateUserBody,
    @RequestId() requestId: string,
  ): Promise<CreatedUser> {
    return this.admin.createUser(tenant, body, requestId);
  }
}
