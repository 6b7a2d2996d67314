import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { plainToInstance, Transform } from 'class-transformer';
import { getMetadataStorage, IsInt, IsOptional, IsString, MaxLength, validateSync } from 'class-validator';
import { EventPayloads, RequestPayloads } from './contract-map.js';
import { ExchangeCodeRequest, IssueCodeRequest } from './token/codes.js';
import { CreateSessionRequest, SessionUser } from './token/sessions.js';
import { GetTenantRequest } from './user-data/get-tenant.js';
import { HandoverError } from './errors.js';
import { passesCompiledRules, validatePayload, type PayloadClass } from './validation.js';

describe(validatePayload.name, () => {
  it('should return an instance of the contract class for a valid payload', () => {
    const sut = validatePayload(GetTenantRequest, { slug: 'demo' });
    expect(sut).toBeInstanceOf(GetTenantRequest);
    expect(sut.slug).toBe('demo');
  });

  it('should refuse unknown properties instead of dropping them', () => {
    expect(() => validatePayload(GetTenantRequest, { slug: 'demo', tenantId: 'x' })).toThrow(
      expect.objectContaining({ code: 'invalid_request', description: expect.stringContaining('tenantId') }),
    );
  });

  it('should refuse a wrong type with a field-level message', () => {
    const attempt = () => validatePayload(GetTenantRequest, { slug: 42 });
    expect(attempt).toThrow(HandoverError);
    expect(attempt).toThrow(/slug/);
  });

  it.each([null, [], 'slug', 7])('should refuse a non-object payload (%p)', (payload) => {
    expect(() => validatePayload(GetTenantRequest, payload)).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
  });
});

/** Rules, inheritance, an accessor and a method: what the fast instantiation must treat as plainToInstance does. */
class BaseShape {
  @IsString()
  @MaxLength(8)
  name!: string;
}

class Shape extends BaseShape {
  @IsOptional()
  @IsInt()
  size?: number;

  get label(): string {
    return `shape ${this.name}`;
  }

  describe(): string {
    return this.label;
  }
}

describe('validatePayload, as class-transformer and class-validator would do it', () => {
  const options = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true };

  it.each([
    { name: 'a' },
    { name: 'a', size: 3 },
    { name: 'a', size: undefined },
    { name: 'a', size: null },
    { name: 'a', toString: 'x', describe: 'y', label: 'z' },
    JSON.parse('{"name":"a","__proto__":{"polluted":true},"constructor":"c"}') as object,
    Object.assign(Object.create(null) as object, { name: 'a', size: 2 }),
  ])('should build the same instance as plainToInstance for %p', (payload) => {
    const sut = validatePayload(Shape, payload);
    const reference = plainToInstance(Shape, payload, { enableImplicitConversion: false });
    expect(sut).toBeInstanceOf(Shape);
    expect(Object.entries(sut)).toEqual(Object.entries(reference));
    expect(validateSync(reference, options)).toEqual([]);
  });

  it('should refuse what class-validator refuses, with the inherited rules, naming the fields', () => {
    expect(() => validatePayload(Shape, { name: 'much too long', size: 1.5, extra: 1 })).toThrow(
      expect.objectContaining({
        code: 'invalid_request',
        description:
          'extra: property extra should not exist; size must be an integer number; ' +
          'name must be shorter than or equal to 8 characters',
      }),
    );
  });

  it('should still give nested payloads to plainToInstance (@Type: nested instances, nested rules)', () => {
    const user = { id: '33333333-3333-4333-8333-333333333333', login: 'demo', email: null, name: null };
    const sut = validatePayload(CreateSessionRequest, {
      tenantId: '11111111-1111-4111-8111-111111111111',
      user,
      authMethod: 'host',
    });
    expect(sut.user).toBeInstanceOf(SessionUser);
    expect(() =>
      validatePayload(CreateSessionRequest, {
        tenantId: '11111111-1111-4111-8111-111111111111',
        user: { ...user, id: 'nope' },
        authMethod: 'host',
      }),
    ).toThrow(/user\.id must be a UUID/);
  });

  it('should leave a class with class-transformer decorators to plainToInstance, flat payload or not', () => {
    class Trimmed {
      @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
      @IsString()
      @MaxLength(3)
      name!: string;
    }
    class TrimmedChild extends Trimmed {}
    expect(validatePayload(Trimmed, { name: '  abc  ' }).name).toBe('abc');
    expect(validatePayload(TrimmedChild, { name: '  abc  ' }).name).toBe('abc');
  });

  it('should apply a rule registered after the class was first validated (the rule cache is emptied)', () => {
    class Late {
      @IsString()
      code!: string;
    }
    expect(validatePayload(Late, { code: 'abcdef' }).code).toBe('abcdef');
    MaxLength(3)(Late.prototype, 'code');
    expect(() => validatePayload(Late, { code: 'abcdef' })).toThrow(/code must be shorter than or equal to 3/);
  });
});

/**
 * The compiled rules may only ever accept what class-validator accepts: compared on every contract class with
 * payloads drawn from values that pass and fail the usual rules (seeded, so a failure repeats).
 */
describe(passesCompiledRules.name, () => {
  const options = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true };
  const classes = [
    ...new Set<PayloadClass<object>>([...Object.values(RequestPayloads), ...Object.values(EventPayloads)]),
  ];
  const uuid = '11111111-1111-4111-8111-111111111111';
  const common: unknown[] = [
    undefined,
    null,
    '',
    'a',
    'demo',
    uuid,
    'not-a-uuid',
    'vendor-1',
    'msg_1',
    'user@example.com',
    'https://vendor.example/callback',
    '2026-11-24T00:00:00.000Z',
    'x'.repeat(129),
    'x'.repeat(3000),
    0,
    1,
    -1,
    1.5,
    2 ** 40,
    true,
    false,
    [],
    ['a'],
    ['https://vendor.example/callback'],
    {},
  ];

  function rulesOf(cls: PayloadClass<object>) {
    return getMetadataStorage().getTargetValidationMetadatas(cls, undefined as never, false, false, undefined);
  }

  /**
   * Values for one property: the pool (with the allowed values of its `@IsIn` rules, as one-item lists for `each`), and the part of it that
   * passes the property's own rules, so that whole payloads often pass too.
   */
  function valuesFor(cls: PayloadClass<object>, property: string): { all: unknown[]; passing: unknown[] } {
    const listed = rulesOf(cls)
      .filter((m) => m.propertyName === property && m.name === 'isIn')
      .flatMap((m) => (m.constraints[0] as unknown[]).map((value) => (m.each ? [value] : value)));
    const all = [...common, ...listed];
    const passing = all.filter((value) =>
      validateSync(plainToInstance(cls, { [property]: value }), options).every((e) => e.property !== property),
    );
    return { all, passing };
  }

  function seeded(seed: number): () => number {
    let state = seed;
    return () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  }

  it.each(classes.map((cls) => [cls.name, cls] as const))(
    'should accept what class-validator accepts and nothing else: %s',
    (_name, cls) => {
      const random = seeded(cls.name.length * 7919);
      // Nested rules are left to class-validator: the compiled rules then accept nothing.
      const compiled = !rulesOf(cls).some((m) => m.type === 'nestedValidation');
      const values = new Map([...new Set(rulesOf(cls).map((m) => m.propertyName))].map((p) => [p, valuesFor(cls, p)]));
      let accepted = 0;
      for (let i = 0; i < 400; i++) {
        const payload: Record<string, unknown> = {};
        for (const [property, { all, passing }] of values) {
          const pool = passing.length > 0 && random() < 0.85 ? passing : all;
          const value = pool[Math.floor(random() * pool.length)];
          if (value !== undefined || random() < 0.5) payload[property] = value;
        }
        if (random() < 0.1) payload.extra = 'x';
        const instance = plainToInstance(cls, payload, { enableImplicitConversion: false });
        const valid = validateSync(instance, options).length === 0;
        expect(passesCompiledRules(instance)).toBe(compiled && valid);
        if (valid) accepted++;
      }
      if (compiled) expect(accepted).toBeGreaterThan(0);
    },
  );

  it('should accept the hot paths valid payloads without class-validator (issue, exchange, the logout event)', () => {
    const payloads: [PayloadClass<object>, object][] = [
      [IssueCodeRequest, { tenantId: uuid, sessionId: 's'.repeat(43), clientId: 'vendor-1' }],
      [
        IssueCodeRequest,
        {
          tenantId: uuid,
          sessionId: 's',
          clientId: 'vendor-1',
          redirectUri: 'https://vendor.example/cb',
          codeChallenge: 'c'.repeat(43),
          codeChallengeMethod: 'S256',
          scope: 'profile',
        },
      ],
      [
        ExchangeCodeRequest,
        { tenantId: uuid, issuer: 'https://hub.example/t/demo', clientId: 'vendor-1', clientSecret: 's', code: 'c' },
      ],
    ];
    for (const [cls, payload] of payloads) {
      const instance = plainToInstance(cls, payload);
      expect(validateSync(instance, options)).toEqual([]);
      expect(passesCompiledRules(instance)).toBe(true);
    }
  });

  it('should leave unknown properties, nested rules and failures to class-validator', () => {
    expect(passesCompiledRules(plainToInstance(GetTenantRequest, { slug: 'demo', extra: 1 }))).toBe(false);
    expect(passesCompiledRules(plainToInstance(GetTenantRequest, { slug: 42 }))).toBe(false);
    const session = { tenantId: uuid, user: { id: uuid, login: 'demo', email: null, name: null }, authMethod: 'host' };
    const instance = plainToInstance(CreateSessionRequest, session);
    expect(validateSync(instance, options)).toEqual([]);
    expect(passesCompiledRules(instance)).toBe(false);
  });

  it('should skip an optional property only when it is null or undefined', () => {
    expect(passesCompiledRules(plainToInstance(Shape, { name: 'a', size: null }))).toBe(true);
    expect(passesCompiledRules(plainToInstance(Shape, { name: 'a', size: 'big' }))).toBe(false);
  });
});
