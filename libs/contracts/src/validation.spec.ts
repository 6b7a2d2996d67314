import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { plainToInstance, Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, MaxLength, validateSync } from 'class-validator';
import { CreateSessionRequest, SessionUser } from './token/sessions.js';
import { GetTenantRequest } from './user-data/get-tenant.js';
import { HandoverError } from './errors.js';
import { validatePayload } from './validation.js';

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
