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
import { HandleRequest } from '#messaging';
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
  issue(request: IssueCodeRequest): Promise<IssueCodeReply> {
    return this.issuer.issue(request);
  }

  @HandleRequest('token.code.exchange')
  exchange(request: ExchangeCodeRequest): Promise<TokenReply> {
    return this.exchanger.exchange(request);
  }

  @HandleRequest('token.introspect')
  introspect(request: IntrospectRequest): Promise<IntrospectionReply> {
    return this.status.introspect(request);
  }

  @HandleRequest('token.revoke')
  revoke(request: RevokeRequest): Promise<RevokeReply> {
    return this.status.revoke(request);
  }
}
