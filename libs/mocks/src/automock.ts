import { jest } from '@jest/globals';

type AnyFunction = (...args: never[]) => unknown;
type MethodKeys<T> = { [K in keyof T]: T[K] extends AnyFunction ? K : never }[keyof T];
export type Mocked<T> = T & { [K in MethodKeys<T>]: T[K] extends AnyFunction ? jest.Mock<T[K]> : never };

/**
 * A strict automock of a class: every method is a jest mock that throws when called without an
 * implementation, so a test that reaches an unmocked dependency fails loudly (Immich's test/utils.ts idea).
 * Abstract methods leave no trace at run time: name them in `abstractMethods`.
 */
export function automock<T extends object>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  cls: abstract new (...args: any[]) => T,
  abstractMethods: ReadonlyArray<MethodKeys<T>> = [],
): Mocked<T> {
  const mock: Record<string, unknown> = {};
  const unmocked = (name: string) =>
    jest.fn(() => {
      throw new Error(`unmocked call: ${cls.name}.${name}()`);
    });
  for (const name of abstractMethods) mock[String(name)] = unmocked(String(name));
  let proto: object | null = cls.prototype as object;
  while (proto && proto !== Object.prototype) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || name in mock) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (typeof descriptor?.value !== 'function') continue;
      mock[name] = unmocked(name);
    }
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return mock as Mocked<T>;
}
