import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { HandoverError } from './errors.js';

export type PayloadClass<T> = new () => T;

function describe(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) =>
      m.startsWith(e.property) ? `${parent ? parent + '.' : ''}${m}` : `${path}: ${m}`,
    );
    return [...own, ...describe(e.children ?? [], path)];
  });
}

/**
 * Turns an untrusted plain object into a validated instance of `cls`: unknown properties are refused, not
 * silently dropped, so a caller and a handler that disagree fail loudly. Throws `invalid_request` naming the fields.
 */
export function validatePayload<T extends object>(cls: PayloadClass<T>, value: unknown): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HandoverError('invalid_request', 'the payload must be a JSON object');
  }
  const instance = plainToInstance(cls, value, { enableImplicitConversion: false });
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) throw new HandoverError('invalid_request', describe(errors).join('; '));
  return instance;
}
