import { Controller, Inject } from '@nestjs/common';
import type {
  CreatedEndpointReply,
  CreateEndpointRequest,
  DeletedReply,
  EndpointRef,
  EndpointsReply,
  EndpointView,
  ListEndpointsRequest,
  RotatedSecretReply,
  RotateSecretRequest,
  UpdateEndpointRequest,
} from '#contracts';
import { HandleRequest, type BusContext } from '#messaging';
import { EndpointsService } from './endpoints.service.js';

@Controller()
export class EndpointsHandler {
  constructor(@Inject(EndpointsService) private readonly endpoints: EndpointsService) {}

  @HandleRequest('webhooks.endpoint.create')
  create(request: CreateEndpointRequest, context: BusContext): Promise<CreatedEndpointReply> {
    return this.endpoints.create(request, { requestId: context.requestId });
  }

  @HandleRequest('webhooks.endpoint.list')
  list(request: ListEndpointsRequest): Promise<EndpointsReply> {
    return this.endpoints.list(request);
  }

  @HandleRequest('webhooks.endpoint.get')
  get(request: EndpointRef): Promise<EndpointView> {
    return this.endpoints.get(request);
  }

  @HandleRequest('webhooks.endpoint.update')
  update(request: UpdateEndpointRequest, context: BusContext): Promise<EndpointView> {
    return this.endpoints.update(request, context.requestId);
  }

  @HandleRequest('webhooks.endpoint.delete')
  delete(request: EndpointRef): Promise<DeletedReply> {
    return this.endpoints.delete(request);
  }

  @HandleRequest('webhooks.endpoint.rotate-secret')
  rotateSecret(request: RotateSecretRequest): Promise<RotatedSecretReply> {
    return this.endpoints.rotateSecret(request);
  }
}
