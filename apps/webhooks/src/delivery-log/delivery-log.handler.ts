import { Controller, Inject } from '@nestjs/common';
import type {
  ListMessagesRequest,
  MessageDetail,
  MessageRef,
  MessagesPage,
  ReplayRangeRequest,
  ReplayReply,
} from '#contracts';
import { HandleRequest } from '#messaging';
import { DeliveryLogService } from './delivery-log.service.js';

@Controller()
export class DeliveryLogHandler {
  constructor(@Inject(DeliveryLogService) private readonly log: DeliveryLogService) {}

  @HandleRequest('webhooks.message.list')
  list(request: ListMessagesRequest): Promise<MessagesPage> {
    return this.log.list(request);
  }

  @HandleRequest('webhooks.message.get')
  get(request: MessageRef): Promise<MessageDetail> {
    return this.log.get(request);
  }

  @HandleRequest('webhooks.message.replay')
  replay(request: MessageRef): Promise<ReplayReply> {
    return this.log.replay(request);
  }

  @HandleRequest('webhooks.message.replay-range')
  replayRange(request: ReplayRangeRequest): Promise<ReplayReply> {
    return this.log.replayRange(request);
  }
}
