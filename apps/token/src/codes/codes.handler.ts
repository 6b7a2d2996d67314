import { Controller, Inject } from '@nestjs/common';
import type {
  ExchangeCodeRequest,
  IntrospectionReply,
  IntrospectRequest,
  IssueCodeReply,
  IssueCodeRequest,
  RevokeReply,
  RevokeRequest,
  TokenReply,
} from '#contracts';
import { HandleRequest, type BusContext } from '#messaging';
import { TokenStatusService } from '../access-tokens/token-status.service.js';
import { CodeExchangeService } from './code-exchange.service.js';
import { CodeIssueService } from './code-issue.service.js';

@Controller()
export class CodesHandler {
  constructor(
    @Inject(CodeIssueService) private readonly issuer: CodeIssueService,
    @Inject(CodeExchangeService) private readonly exchanger: CodeExchangeService,
    @Inject(TokenStatusService) private readonly status: TokenStatusService,
  ) {}

  @HandleRequest('token.code.issue')
  issue(request: IssueCodeRequest, context: BusContext): Promise<IssueCodeReply> {
    return this.issuer.issue(request, context.requestId);
  }

  @HandleRequest('token.code.exchange')
  exchange(request: ExchangeCodeRequest, context: BusContext): Promise<TokenReply> {
    return this.exchanger.exchange(request, context.requestId);
  }

  @HandleRequest('token.introspect')
  introspect(request: IntrospectRequest, context: BusContext): Promise<IntrospectionReply> {
    return this.status.introspect(request, context.requestId);
  }

  @HandleRequest('token.revoke')
  revoke(request: RevokeRequest, context: BusContext): Promise<RevokeReply> {
    return this.status.revoke(request, context.requestId);
  }
}
