import { beforeEach, describe, expect, it } from '@jest/globals';
import { MemoryShortLivedStore } from '#storage';
import { buildTokenServices, pluginUrl, tenantId } from '../../test/token-fixture.js';
import { sessionHandle } from '../sessions/session-handle.js';
import { CodeIssueService } from './code-issue.service.js';

describe(CodeIssueService.name, () => {
  let now: number;
  let store: MemoryShortLivedStore;
  let t: ReturnType<typeof buildTokenServices>;
  let sessionId: string;

  beforeEach(async () => {
    now = 1_800_000_000_000;
    store = new MemoryShortLivedStore(() => now);
    t = buildTokenServices(store, { sessionTtlSeconds: 3600 }, { now: () => now });
    sessionId = await t.openSession();
  });

  it("should store the code and add its vendor to the session's vendor set, kept 15 min past the session", async () => {
    const { code, redirectUri, scope } = await t.issue(sessionId, 'vendor-a');

    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect({ redirectUri, scope }).toEqual({ redirectUri: pluginUrl, scope: 'profile accounts' });
    const handle = sessionHandle(sessionId);
    now += 3600_000 + 900_000 - 1;
    await expect(t.sessionStore.vendorsOf(tenantId, handle, now)).resolves.toEqual(['vendor-a']);
    now += 1;
    await expect(t.sessionStore.vendorsOf(tenantId, handle, now)).resolves.toEqual([]);
  });

  it('should refuse a session that has ended with not_found, storing no code and telling no vendor', async () => {
    await t.sessions.end({ tenantId, sessionId, reason: 'host_logout' });
    const before = store.size;

    await expect(t.issue(sessionId)).rejects.toMatchObject({ code: 'not_found' });

    expect(store.size).toBe(before);
    await expect(t.sessionStore.vendorsOf(tenantId, sessionHandle(sessionId), now)).resolves.toEqual([]);
  });

  it('should refuse a session that expired with not_found', async () => {
    now += 3600_000;

    await expect(t.issue(sessionId)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('should name the ended session before any fault of the request, and the fault while the session lives', async () => {
    const faults: Array<[string, Record<string, string>]> = [
      ['no-such-vendor', {}],
      ['vendor-a', { redirectUri: 'https://evil.example/cb' }],
      ['strict', {}],
      ['vendor-a', { scope: 'profile admin' }],
    ];
    for (const [clientId, extra] of faults) {
      await expect(t.issue(sessionId, clientId, extra)).rejects.toMatchObject({
        code: expect.stringMatching(/^invalid_(request|scope)$/),
      });
    }
    await t.sessions.end({ tenantId, sessionId, reason: 'host_logout' });
    for (const [clientId, extra] of faults) {
      await expect(t.issue(sessionId, clientId, extra)).rejects.toMatchObject({ code: 'not_found' });
    }
  });
});
