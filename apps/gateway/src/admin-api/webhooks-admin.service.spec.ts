import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  HandoverError,
  validatePayload,
  type CreatedEndpointReply,
  type EndpointView,
  type MessageDetail,
  type MessageView,
  type TenantReply,
  type VendorRecord,
} from '#contracts';
import { RpcClient } from '#messaging';
import { automock, type Mocked } from '#mocks';
import { TenantDirectory } from '../tenants/tenant-directory.service.js';
import { VendorDirectory } from '../vendors/vendor-directory.js';
import {
  CreateWebhookEndpointBody,
  ListMessagesQuery,
  ReplayRangeBody,
  RotateSecretBody,
  UpdateWebhookEndpointBody,
} from './webhooks-admin.dto.js';
import { WebhooksAdminService } from './webhooks-admin.service.js';

const acme: TenantReply = {
  id: '11111111-1111-4111-8111-111111111111',
  slug: 'acme',
  name: 'Acme Bank',
  outboundNetwork: 'public',
};
const endpointId = '22222222-2222-4222-8222-222222222222';
const messageId = 'msg_2bN5fQ0wX1yZ3aB4cD5eF6gH7i';

const view: EndpointView = {
  id: endpointId,
  vendor: 'planner',
  kind: 'webhook',
  url: 'https://planner.example/hooks',
  description: null,
  eventTypes: ['session.logged_out'],
  enabled: true,
  disabledReason: null,
  disabledAt: null,
  failingSince: null,
  previousSecretValidUntil: null,
  createdAt: '2025-01-02T03:04:05.000Z',
  updatedAt: '2025-01-02T03:04:05.000Z',
};
const viewBody = {
  id: endpointId,
  vendor: 'planner',
  kind: 'webhook',
  url: 'https://planner.example/hooks',
  description: null,
  event_types: ['session.logged_out'],
  enabled: true,
  disabled_reason: null,
  disabled_at: null,
  failing_since: null,
  previous_secret_valid_until: null,
  created_at: '2025-01-02T03:04:05.000Z',
  updated_at: '2025-01-02T03:04:05.000Z',
};
const message: MessageView = {
  id: messageId,
  endpointId,
  eventId: `evt_${'A'.repeat(32)}`,
  eventType: 'session.logged_out',
  status: 'failed',
  attempts: 2,
  nextAttemptAt: '2025-01-02T03:09:05.000Z',
  createdAt: '2025-01-02T03:04:05.000Z',
  lastAttemptAt: '2025-01-02T03:04:10.000Z',
  deliveredAt: null,
  lastStatusCode: 500,
  lastError: 'HTTP 500',
};
const messageBody = {
  id: messageId,
  endpoint_id: endpointId,
  event_id: `evt_${'A'.repeat(32)}`,
  event_type: 'session.logged_out',
  status: 'failed',
  attempts: 2,
  next_attempt_at: '2025-01-02T03:09:05.000Z',
  created_at: '2025-01-02T03:04:05.000Z',
  last_attempt_at: '2025-01-02T03:04:10.000Z',
  delivered_at: null,
  last_status_code: 500,
  last_error: 'HTTP 500',
};

describe(WebhooksAdminService.name, () => {
  let sut: WebhooksAdminService;
  let rpc: Mocked<RpcClient>;
  let tenants: Mocked<TenantDirectory>;
  let vendors: Mocked<VendorDirectory>;

  beforeEach(() => {
    rpc = automock(RpcClient, ['request', 'publish']);
    tenants = automock(TenantDirectory);
    tenants.resolve.mockImplementation(async (slug) => {
      if (slug === 'acme') return acme;
      throw new HandoverError('not_found', 'no such tenant');
    });
    vendors = automock(VendorDirectory);
    vendors.get.mockImplementation(async (tenantId, clientId) => {
      if (tenantId === acme.id && clientId === 'planner') return { clientId } as VendorRecord;
      throw new HandoverError('not_found', 'no such vendor');
    });
    sut = new WebhooksAdminService(rpc, tenants, vendors);
  });

  describe('create', () => {
    it("should register the endpoint under the tenant's id and slug, a webhook by default, and show the secret", async () => {
      const created: CreatedEndpointReply = { ...view, secret: `whsec_${'a'.repeat(43)}=` };
      rpc.request.mockResolvedValue(created as never);

      await expect(sut.create('acme', 'planner', { url: 'https://planner.example/hooks' }, 'req-1')).resolves.toEqual({
        ...viewBody,
        secret: created.secret,
      });
      expect(rpc.request).toHaveBeenCalledWith(
        'webhooks.endpoint.create',
        {
          tenantId: acme.id,
          tenantSlug: 'acme',
          vendor: 'planner',
          kind: 'webhook',
          url: 'https://planner.example/hooks',
          eventTypes: undefined,
          enabled: undefined,
          description: undefined,
        },
        'req-1',
      );
    });

    it('should map every snake_case field to the bus contract', async () => {
      rpc.request.mockResolvedValue({ ...view, kind: 'backchannel_logout', secret: null } as never);

      const reply = await sut.create(
        'acme',
        'planner',
        {
          url: 'https://planner.example/bcl',
          kind: 'backchannel_logout',
          event_types: ['session.logged_out'],
          enabled: false,
          description: 'logout',
        },
        'req-1',
      );

      expect(reply.secret).toBeNull();
      expect(rpc.request).toHaveBeenCalledWith(
        'webhooks.endpoint.create',
        {
          tenantId: acme.id,
          tenantSlug: 'acme',
          vendor: 'planner',
          kind: 'backchannel_logout',
          url: 'https://planner.example/bcl',
          eventTypes: ['session.logged_out'],
          enabled: false,
          description: 'logout',
        },
        'req-1',
      );
    });

    it.each([
      ['an unknown tenant', 'nobody', 'planner'],
      ['an unknown vendor', 'acme', 'someone-else'],
      ['a malformed client id (answered by the directory as unknown)', 'acme', 'has space'],
    ])('should answer %s with not_found, without asking the webhooks app', async (_case, tenant, vendor) => {
      await expect(sut.create(tenant, vendor, { url: 'https://x.example' }, 'req-1')).rejects.toMatchObject({
        code: 'not_found',
      });
      expect(rpc.request).not.toHaveBeenCalled();
    });
  });

  describe('list', () => {
    it("should list the tenant's endpoints in snake_case", async () => {
      rpc.request.mockResolvedValue({ endpoints: [view] } as never);

      await expect(sut.list('acme', undefined, 'req-1')).resolves.toEqual({ endpoints: [viewBody] });
      expect(rpc.request).toHaveBeenCalledWith(
        'webhooks.endpoint.list',
        { tenantId: acme.id, vendor: undefined },
        'req-1',
      );
      expect(tenants.resolve).toHaveBeenCalledWith('acme', 'req-1');
      expect(vendors.get).not.toHaveBeenCalled();
    });

    it("should list one vendor's endpoints once the vendor is known", async () => {
      rpc.request.mockResolvedValue({ endpoints: [] } as never);

      await expect(sut.list('acme', 'planner', 'req-1')).resolves.toEqual({ endpoints: [] });
      expect(vendors.get).toHaveBeenCalledWith(acme.id, 'planner', 'req-1');
      expect(rpc.request).toHaveBeenCalledWith(
        'webhooks.endpoint.list',
        { tenantId: acme.id, vendor: 'planner' },
        'req-1',
      );
    });

    it('should answer an unknown vendor with not_found rather than an empty list', async () => {
      await expect(sut.list('acme', 'nobody', 'req-1')).rejects.toMatchObject({ code: 'not_found' });
      expect(rpc.request).not.toHaveBeenCalled();
    });
  });

  describe('one endpoint', () => {
    it('should get it by the tenant id and endpoint id', async () => {
      rpc.request.mockResolvedValue(view as never);

      await expect(sut.get('acme', endpointId, 'req-1')).resolves.toEqual(viewBody);
      expect(rpc.request).toHaveBeenCalledWith('webhooks.endpoint.get', { tenantId: acme.id, endpointId }, 'req-1');
    });

    it.each(['not-a-uuid', `${endpointId}x`, '', '../vendors'])(
      'should answer the malformed endpoint id %p with not_found, without a bus call',
      async (id) => {
        for (const call of [
          () => sut.get('acme', id, 'req-1'),
          () => sut.update('acme', id, { enabled: true }, 'req-1'),
          () => sut.delete('acme', id, 'req-1'),
          () => sut.rotateSecret('acme', id, {}, 'req-1'),
          () => sut.messages('acme', id, {}, 'req-1'),
          () => sut.replayRange('acme', id, { since: '2025-01-01T00:00:00Z', until: '2025-01-02T00:00:00Z' }, 'req-1'),
        ]) {
          await expect(call()).rejects.toMatchObject({ code: 'not_found', description: 'no such webhook endpoint' });
        }
        expect(rpc.request).not.toHaveBeenCalled();
      },
    );

    it("should pass the webhooks app's not_found for another tenant's endpoint through unchanged", async () => {
      rpc.request.mockRejectedValue(new HandoverError('not_found', 'no such webhook endpoint'));

      await expect(sut.get('acme', endpointId, 'req-1')).rejects.toMatchObject({ code: 'not_found' });
    });

    it('should patch only the fields given', async () => {
      rpc.request.mockResolvedValue({ ...view, enabled: false, disabledReason: 'admin' } as never);

      await expect(sut.update('acme', endpointId, { enabled: false }, 'req-1')).resolves.toMatchObject({
        enabled: false,
        disabled_reason: 'admin',
      });
      expect(rpc.request).toHaveBeenCalledWith(
        'webhooks.endpoint.update',
        {
          tenantId: acme.id,
          endpointId,
          url: undefined,
          eventTypes: undefined,
          enabled: false,
          description: undefined,
        },
        'req-1',
      );
    });

    it('should map event_types and url on patch', async () => {
      rpc.request.mockResolvedValue(view as never);

      await sut.update(
        'acme',
        endpointId,
        {
          url: 'https://planner.example/v2',
          event_types: ['session.created', 'vendor_data.updated'],
          description: 'v2',
        },
        'req-1',
      );
      expect(rpc.request).toHaveBeenCalledWith(
        'webhooks.endpoint.update',
        {
          tenantId: acme.id,
          endpointId,
          url: 'https://planner.example/v2',
          eventTypes: ['session.created', 'vendor_data.updated'],
          enabled: undefined,
          description: 'v2',
        },
        'req-1',
      );
    });

    it('should delete it, and answer not_found when nothing was deleted', async () => {
      rpc.request.mockResolvedValueOnce({ deleted: true } as never);
      await expect(sut.delete('acme', endpointId, 'req-1')).resolves.toBeUndefined();
      expect(rpc.request).toHaveBeenCalledWith('webhooks.endpoint.delete', { tenantId: acme.id, endpointId }, 'req-1');

      rpc.request.mockResolvedValueOnce({ deleted: false } as never);
      await expect(sut.delete('acme', endpointId, 'req-1')).rejects.toMatchObject({ code: 'not_found' });
    });

    it('should rotate the secret with the overlap asked for', async () => {
      rpc.request.mockResolvedValue({
        secret: `whsec_${'b'.repeat(43)}=`,
        previousSecretValidUntil: '2025-01-03T03:04:05.000Z',
      } as never);

      await expect(sut.rotateSecret('acme', endpointId, { overlap_seconds: 60 }, 'req-1')).resolves.toEqual({
        secret: `whsec_${'b'.repeat(43)}=`,
        previous_secret_valid_until: '2025-01-03T03:04:05.000Z',
      });
      expect(rpc.request).toHaveBeenCalledWith(
        'webhooks.endpoint.rotate-secret',
        {
          tenantId: acme.id,
          endpointId,
          overlapSeconds: 60,
        },
        'req-1',
      );
    });
  });

  describe('delivery log', () => {
    it('should page through the messages with the filters mapped, in snake_case', async () => {
      rpc.request.mockResolvedValue({ messages: [message], nextCursor: 'c2' } as never);

      await expect(
        sut.messages(
          'acme',
          endpointId,
          {
            status: 'failed',
            since: '2025-01-01T00:00:00Z',
            until: '2025-01-03T00:00:00Z',
            limit: '10',
            cursor: 'c1',
          },
          'req-1',
        ),
      ).resolves.toEqual({ messages: [messageBody], next_cursor: 'c2' });
      expect(rpc.request).toHaveBeenCalledWith(
        'webhooks.message.list',
        {
          tenantId: acme.id,
          endpointId,
          status: 'failed',
          since: '2025-01-01T00:00:00Z',
          until: '2025-01-03T00:00:00Z',
          limit: 10,
          cursor: 'c1',
        },
        'req-1',
      );
    });

    it('should leave the page size to the webhooks app when absent, clamp a large one, refuse 0', async () => {
      rpc.request.mockResolvedValue({ messages: [], nextCursor: null } as never);

      await sut.messages('acme', endpointId, { cursor: '' }, 'req-1');
      expect(rpc.request).toHaveBeenLastCalledWith(
        'webhooks.message.list',
        expect.objectContaining({ limit: undefined, cursor: undefined }),
        'req-1',
      );
      await sut.messages('acme', endpointId, { limit: '5000' }, 'req-1');
      expect(rpc.request).toHaveBeenLastCalledWith(
        'webhooks.message.list',
        expect.objectContaining({ limit: 200 }),
        'req-1',
      );
      await expect(sut.messages('acme', endpointId, { limit: '0' }, 'req-1')).rejects.toMatchObject({
        code: 'invalid_request',
      });
    });

    it('should replay a time range, only the failed ones when asked', async () => {
      rpc.request.mockResolvedValue({ replayed: 3 } as never);

      await expect(
        sut.replayRange(
          'acme',
          endpointId,
          {
            since: '2025-01-01T00:00:00Z',
            until: '2025-01-02T00:00:00Z',
            only_failed: true,
          },
          'req-1',
        ),
      ).resolves.toEqual({ replayed: 3 });
      expect(rpc.request).toHaveBeenCalledWith(
        'webhooks.message.replay-range',
        {
          tenantId: acme.id,
          endpointId,
          since: '2025-01-01T00:00:00Z',
          until: '2025-01-02T00:00:00Z',
          onlyFailed: true,
        },
        'req-1',
      );
    });

    it('should show one message with its payload and attempt log in snake_case', async () => {
      const detail: MessageDetail = {
        ...message,
        payload: { type: 'session.logged_out', timestamp: '2025-01-02T03:04:05.000Z', data: { sub: 'u' } },
        attemptLog: [
          {
            attemptedAt: '2025-01-02T03:04:05.100Z',
            trigger: 'initial',
            outcome: 'http_error',
            statusCode: 500,
            latencyMs: 12,
            responseExcerpt: 'oops',
            error: null,
          },
        ],
      };
      rpc.request.mockResolvedValue(detail as never);

      await expect(sut.message('acme', messageId, 'req-1')).resolves.toEqual({
        ...messageBody,
        payload: detail.payload,
        attempt_log: [
          {
            attempted_at: '2025-01-02T03:04:05.100Z',
            trigger: 'initial',
            outcome: 'http_error',
            status_code: 500,
            latency_ms: 12,
            response_excerpt: 'oops',
            error: null,
          },
        ],
      });
      expect(rpc.request).toHaveBeenCalledWith('webhooks.message.get', { tenantId: acme.id, messageId }, 'req-1');
    });

    it('should replay one message', async () => {
      rpc.request.mockResolvedValue({ replayed: 1 } as never);

      await expect(sut.replayMessage('acme', messageId, 'req-1')).resolves.toEqual({ replayed: 1 });
      expect(rpc.request).toHaveBeenCalledWith('webhooks.message.replay', { tenantId: acme.id, messageId }, 'req-1');
    });

    it.each(['not-a-message', 'msg_', `msg_${'x'.repeat(65)}`, 'msg_a.b', endpointId])(
      'should answer the malformed message id %p with not_found, without a bus call',
      async (id) => {
        await expect(sut.message('acme', id, 'req-1')).rejects.toMatchObject({ code: 'not_found' });
        await expect(sut.replayMessage('acme', id, 'req-1')).rejects.toMatchObject({ code: 'not_found' });
        expect(rpc.request).not.toHaveBeenCalled();
      },
    );
  });
});

describe('webhook admin bodies', () => {
  const refuses = (cls: new () => object, value: unknown) => {
    let failure: unknown;
    try {
      validatePayload(cls, value);
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeInstanceOf(HandoverError);
    expect(failure).toMatchObject({ code: 'invalid_request' });
  };

  describe(CreateWebhookEndpointBody.name, () => {
    it('should accept a URL alone, and every optional field', () => {
      expect(validatePayload(CreateWebhookEndpointBody, { url: 'https://x.example/h' })).toEqual({
        url: 'https://x.example/h',
      });
      expect(
        validatePayload(CreateWebhookEndpointBody, {
          url: 'https://x.example/h',
          kind: 'backchannel_logout',
          event_types: ['session.logged_out'],
          enabled: false,
          description: 'd',
        }),
      ).toMatchObject({ kind: 'backchannel_logout', enabled: false });
    });

    it.each([
      ['no url', {}],
      ['a url that is not a string', { url: 42 }],
      ['a url too long', { url: `https://x.example/${'a'.repeat(2048)}` }],
      ['an unknown kind', { url: 'https://x.example', kind: 'email' }],
      ['an unknown event type', { url: 'https://x.example', event_types: ['session.deleted'] }],
      ['no event type', { url: 'https://x.example', event_types: [] }],
      ['a repeated event type', { url: 'https://x.example', event_types: ['session.created', 'session.created'] }],
      ['event types as a string', { url: 'https://x.example', event_types: 'session.created' }],
      ['a non-boolean enabled', { url: 'https://x.example', enabled: 'yes' }],
      ['a null field', { url: 'https://x.example', enabled: null }],
      ['a description too long', { url: 'https://x.example', description: 'd'.repeat(201) }],
      ['an unknown field', { url: 'https://x.example', secret: 'whsec_chosen' }],
      ['a camelCase field', { url: 'https://x.example', eventTypes: ['session.created'] }],
    ])('should refuse %s', (_case, body) => refuses(CreateWebhookEndpointBody, body));
  });

  describe(UpdateWebhookEndpointBody.name, () => {
    it('should accept any subset of the fields, even none', () => {
      expect(validatePayload(UpdateWebhookEndpointBody, {})).toEqual({});
      expect(validatePayload(UpdateWebhookEndpointBody, { enabled: true })).toEqual({ enabled: true });
    });

    it.each([
      ['a null url', { url: null }],
      ['an unknown event type', { event_types: ['x'] }],
      ['a kind (it cannot change)', { kind: 'webhook' }],
      ['an unknown field', { secret: 'x' }],
    ])('should refuse %s', (_case, body) => refuses(UpdateWebhookEndpointBody, body));
  });

  describe(RotateSecretBody.name, () => {
    it('should accept no overlap, or one within a week', () => {
      expect(validatePayload(RotateSecretBody, {})).toEqual({});
      expect(validatePayload(RotateSecretBody, { overlap_seconds: 0 })).toEqual({ overlap_seconds: 0 });
      expect(validatePayload(RotateSecretBody, { overlap_seconds: 604800 })).toEqual({ overlap_seconds: 604800 });
    });

    it.each([
      ['a negative overlap', { overlap_seconds: -1 }],
      ['more than a week', { overlap_seconds: 604801 }],
      ['a fraction', { overlap_seconds: 1.5 }],
      ['a string', { overlap_seconds: '60' }],
      ['an unknown field', { overlap: 60 }],
    ])('should refuse %s', (_case, body) => refuses(RotateSecretBody, body));
  });

  describe(ReplayRangeBody.name, () => {
    it.each([
      ['no until', { since: '2025-01-01T00:00:00Z' }],
      ['a date that is not ISO 8601', { since: 'yesterday', until: '2025-01-02T00:00:00Z' }],
      ['a number', { since: 1735689600, until: '2025-01-02T00:00:00Z' }],
      ['a non-boolean only_failed', { since: '2025-01-01', until: '2025-01-02', only_failed: 'true' }],
    ])('should refuse %s', (_case, body) => refuses(ReplayRangeBody, body));
  });

  describe(ListMessagesQuery.name, () => {
    it('should accept the documented parameters as query strings', () => {
      expect(
        validatePayload(ListMessagesQuery, { status: 'pending', since: '2025-01-01', limit: '20', cursor: 'c' }),
      ).toEqual({ status: 'pending', since: '2025-01-01', limit: '20', cursor: 'c' });
    });

    it.each([
      ['an unknown status', { status: 'lost' }],
      ['a repeated parameter', { status: ['pending', 'failed'] }],
      ['a limit that is not an integer', { limit: '1.5' }],
      ['a negative limit', { limit: '-1' }],
      ['a bad since', { since: 'soon' }],
      ['an unknown parameter', { page: '2' }],
    ])('should refuse %s', (_case, query) => refuses(ListMessagesQuery, query));
  });
});
