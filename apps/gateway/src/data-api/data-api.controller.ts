import { Controller, Get, Header, Inject, Param, Query, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { AccountsReply, TransactionsReply } from '#contracts';
import { RequestId } from '../http/request-id.decorator.js';
import type { VerifiedAccessToken } from './access-token.verifier.js';
import { AccessToken, BearerGuard, RequireScope } from './bearer.guard.js';
import { DataApiService, type MeReply, type PageQuery } from './data-api.service.js';

/** The data API: what a vendor backend reads with the user's access token. */
@ApiTags('data-api')
@ApiParam({ name: 'tenant', description: 'The tenant slug.' })
@ApiBearerAuth('access-token')
@ApiUnauthorizedResponse({ description: '`invalid_token`: missing, invalid, expired or revoked access token.' })
@ApiForbiddenResponse({ description: '`insufficient_scope`: the token lacks the scope this resource needs.' })
@Controller('t/:tenant/api/v1')
@UseGuards(BearerGuard)
export class DataApiController {
  constructor(@Inject(DataApiService) private readonly data: DataApiService) {}

  @Get('me')
  @RequireScope('profile')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'The user, their session and this vendor’s stored values (scope `profile`)' })
  @ApiOkResponse({ description: '`{sub, user, session, client_id, scope, vendor_data}`' })
  me(@AccessToken() token: VerifiedAccessToken): Promise<MeReply> {
    return this.data.me(token);
  }

  @Get('accounts')
  @RequireScope('accounts')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'The user’s accounts (scope `accounts`)' })
  @ApiOkResponse({ description: '`{accounts: [{id, name, iban, currency, balance_minor}]}`' })
  accounts(@AccessToken() token: VerifiedAccessToken, @RequestId() requestId: string): Promise<AccountsReply> {
    return this.data.accounts(token, requestId);
  }

  @Get('accounts/:id/transactions')
  @RequireScope('accounts')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'One page of an account’s transactions (scope `accounts`)' })
  @ApiQuery({ name: 'cursor', required: false, type: String, description: 'The `next_cursor` of the previous page.' })
  @ApiQuery({
    name: 'limit',
    required: false,
    type: Number,
    description: 'Page size, 1–100 (default 25; larger values are clamped).',
  })
  @ApiOkResponse({ description: '`{transactions: [...], next_cursor}`' })
  @ApiNotFoundResponse({ description: 'No such account for this user (also for another user’s account).' })
  transactions(
    @AccessToken() token: VerifiedAccessToken,
    @Param('id') accountId: string,
    @Query() query: PageQuery,
    @RequestId() requestId: string,
  ): Promise<TransactionsReply> {
    return this.data.transactions(token, accountId, query, requestId);
  }
}
