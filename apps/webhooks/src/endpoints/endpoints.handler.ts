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
import { HandleRequest } from '#messaging';
import { EndpointsService } from './endpoints.service.js';

@Controller()
export class EndpointsHandler {
  constructor(@Inject(EndpointsService) private readonly endpoints: EndpointsService) {}

  @HandleRequest('webhooks.endpoint.create')
  create(request: CreateEndpointRequest): Promise<CreatedEndpointReply> {
    return this.endpoints.create(request);
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
  update(request: UpdateEndpointRequest): Promise<EndpointView> {
    return this.endpoints.update(request);
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
