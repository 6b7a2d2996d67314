import { Inject, Injectable } from '@nestjs/common';
import {
  HandoverError,
  type ListMessagesRequest,
  type MessageDetail,
  type MessageRef,
  type MessagesPage,
  type ReplayRangeRequest,
  type ReplayReply,
} from '#contracts';
import { DeliveryEngine } from '../deliveries/delivery-engine.js';
import { EndpointsRepository } from '../endpoints/endpoints.repository.js';
import { DeliveryLogRepository } from './delivery-log.repository.js';
import { decodeCursor, encodeCursor } from './message-cursor.js';

const DEFAULT_PAGE = 50;

/** An ISO 8601 instant as PostgreSQL reads it; class-validator's ISO 8601 admits forms it does not (week dates). */
function instant(value: string, field: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new HandoverError('invalid_request', `${field} must be an ISO 8601 date-time`);
  return new Date(ms).toISOString();
}

/** The delivery log and manual replay (issue #5 item 5), tenant-scoped like every admin call. */
@Injectable()
export class DeliveryLogService {
  constructor(
    @Inject(DeliveryLogRepository) private readonly log: DeliveryLogRepository,
    @Inject(EndpointsRepository) private readonly endpoints: EndpointsRepository,
    @Inject(DeliveryEngine) private readonly engine: DeliveryEngine,
  ) {}

  async list(request: ListMessagesRequest): Promise<MessagesPage> {
    await this.endpointOf(request.tenantId, request.endpointId);
    const limit = request.limit ?? DEFAULT_PAGE;
    const page = await this.log.page(request.tenantId, request.endpointId, {
      status: request.status,
      since: request.since === undefined ? undefined : instant(request.since, 'since'),
      until: request.until === undefined ? undefined : instant(request.until, 'until'),
      after: request.cursor === undefined ? undefined : decodeCursor(request.cursor),
      limit: limit + 1,
    });
    const messages = page.slice(0, limit);
    const last = messages[messages.length - 1];
    return {
      messages: messages.map((m) => m.view),
      nextCursor: page.length > limit && last ? encodeCursor({ createdAt: last.createdAtKey, id: last.view.id }) : null,
    };
  }

  async get(request: MessageRef): Promise<MessageDetail> {
    const message = await this.log.message(request.tenantId, request.messageId);
    if (!message) throw new HandoverError('not_found', 'no such message');
    const attemptLog = await this.log.attempts(request.tenantId, request.messageId);
    return { ...message.view, payload: JSON.parse(message.payload) as unknown, attemptLog };
  }

  /** Sends one message again with its webhook-id; refused (`conflict`) while its endpoint is disabled. */
  async replay(request: MessageRef): Promise<ReplayReply> {
    const message = await this.log.message(request.tenantId, request.messageId);
    if (!message) throw new HandoverError('not_found', 'no such message');
    if (!message.endpointEnabled) throw disabled();
    const replayed = await this.log.replay(request.tenantId, { messageId: request.messageId });
    // Zero: the endpoint was disabled between the two statements.
    if (replayed === 0) throw disabled();
    this.engine.nudge();
    return { replayed };
  }

  /** Sends again every (or every failed) message of an endpoint created in [since, until). */
  async replayRange(request: ReplayRangeRequest): Promise<ReplayReply> {
    const endpoint = await this.endpointOf(request.tenantId, request.endpointId);
    if (!endpoint.enabled) throw disabled();
    const since = instant(request.since, 'since');
    const until = instant(request.until, 'until');
    if (since >= until) throw new HandoverError('invalid_request', 'since must be before until');
    const replayed = await this.log.replay(request.tenantId, {
      endpointId: request.endpointId,
      since,
      until,
      onlyFailed: request.onlyFailed ?? false,
    });
    if (replayed > 0) this.engine.nudge();
    return { replayed };
  }

  private async endpointOf(tenantId: string, endpointId: string) {
    const endpoint = await this.endpoints.find(tenantId, endpointId);
    if (!endpoint) throw new HandoverError('not_found', 'no such webhook endpoint');
    return endpoint;
  }
}

function disabled(): HandoverError {
  return new HandoverError('conflict', 'the endpoint is disabled: enable it before replaying its messages');
}
