import { Controller, Inject } from '@nestjs/common';
import type {
  CreateSessionReply,
  CreateSessionRequest,
  EndSessionReply,
  EndSessionRequest,
  GetSessionRequest,
  SessionRecord,
} from '#contracts';
import { HandleRequest, type BusContext } from '#messaging';
import { SessionsService } from './sessions.service.js';

@Controller()
export class SessionsHandler {
  constructor(@Inject(SessionsService) private readonly sessions: SessionsService) {}

  @HandleRequest('token.session.create')
  create(request: CreateSessionRequest): Promise<CreateSessionReply> {
    return this.sessions.create(request);
  }

  @HandleRequest('token.session.get')
  get(request: GetSessionRequest): Promise<SessionRecord> {
    return this.sessions.get(request.tenantId, request.sessionId);
  }

  @HandleRequest('token.session.end')
  end(request: EndSessionRequest, context: BusContext): Promise<EndSessionReply> {
    return this.sessions.end(request, context.requestId);
  }
}
