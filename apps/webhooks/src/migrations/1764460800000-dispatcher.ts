import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The dispatcher's tables: vendor endpoints (secrets sealed with SecretBox), one message per event and endpoint
 * (the outbox the delivery engine works through, keyed by its `webhook-id`), and the attempt log.
 */
export class Dispatcher1764460800000 implements MigrationInterface {
  name = 'Dispatcher1764460800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhooks.endpoints (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL,
        tenant_slug text NOT NULL,
        vendor text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('webhook', 'backchannel_logout')),
        url text NOT NULL,
        description text,
        event_types text[] NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        disabled_reason text CHECK (disabled_reason IN ('gone', 'failing', 'admin')),
        disabled_at timestamptz,
        secret text,
        previous_secret text,
        previous_secret_valid_until timestamptz,
        failing_since timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((kind = 'webhook') = (secret IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX endpoints_tenant ON webhooks.endpoints (tenant_id, vendor)`);
    // `id` is the webhook-id, derived from (event, endpoint): an event published twice never makes two messages.
    // `lease_id` names the claim a worker holds, so a result that arrives after a replay or a re-claim is ignored.
    await q.query(`
      CREATE TABLE webhooks.messages (
        id text PRIMARY KEY,
        endpoint_id uuid NOT NULL REFERENCES webhooks.endpoints(id) ON DELETE CASCADE,
        tenant_id uuid NOT NULL,
        event_id text NOT NULL,
        event_type text NOT NULL,
        payload text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        next_trigger text NOT NULL DEFAULT 'initial' CHECK (next_trigger IN ('initial', 'retry', 'replay')),
        attempts integer NOT NULL DEFAULT 0,
        schedule_step integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        lease_until timestamptz,
        lease_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_attempt_at timestamptz,
        delivered_at timestamptz,
        last_status_code integer,
        last_error text,
        UNIQUE (event_id, endpoint_id)
      )`);
    await q.query(`CREATE INDEX messages_due ON webhooks.messages (next_attempt_at) WHERE status = 'pending'`);
    // The delivery log walks an endpoint's messages newest first (keyset on created_at, id).
    await q.query(`CREATE INDEX messages_log ON webhooks.messages (endpoint_id, created_at DESC, id DESC)`);
    await q.query(`
      CREATE TABLE webhooks.attempts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        message_id text NOT NULL REFERENCES webhooks.messages(id) ON DELETE CASCADE,
        endpoint_id uuid NOT NULL,
        attempted_at timestamptz NOT NULL,
        trigger text NOT NULL CHECK (trigger IN ('initial', 'retry', 'replay')),
        outcome text NOT NULL
          CHECK (outcome IN ('success', 'http_error', 'redirect', 'timeout', 'network_error', 'blocked')),
        status_code integer,
        latency_ms integer NOT NULL,
        response_excerpt text,
        error text
      )`);
    await q.query(`CREATE INDEX attempts_message ON webhooks.attempts (message_id, attempted_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['attempts', 'messages', 'endpoints']) await q.query(`DROP TABLE webhooks.${table}`);
  }
}
