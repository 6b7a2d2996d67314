import { plainToInstance } from 'class-transformer';
// @ts-expect-error -- class-transformer types its entry point only; the part used here is typed below.
import { defaultMetadataStorage } from 'class-transformer/cjs/storage.js';
import {
  getMetadataStorage,
  validateSync,
  ValidationTypes,
  type MetadataStorage,
  type ValidationArguments,
  type ValidationError,
} from 'class-validator';
import { HandoverError } from './errors.js';

export type PayloadClass<T> = new () => T;

type TargetMetadatas = ReturnType<MetadataStorage['getTargetValidationMetadatas']>;

const CACHED = Symbol.for('handover.class-validator.target-metadata-cache');

/**
 * class-validator resolves a class's rules (its own and inherited ones) by scanning every registered class on each
 * validate call (typestack/class-validator#2686): with all the apps' contracts loaded that scan was a quarter of
 * `validatePayload`. The result only changes when rules are registered, so it is kept per class and options, and
 * every registration empties the cache. Each caller gets its own copy of the list, as before.
 */
function cacheTargetMetadatas(storage: MetadataStorage): void {
  const marked = storage as MetadataStorage & { [CACHED]?: true };
  if (marked[CACHED]) return;
  marked[CACHED] = true;
  let cache = new WeakMap<object, Map<string, TargetMetadatas>>();
  const resolve = storage.getTargetValidationMetadatas.bind(storage);
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    if (typeof target !== 'function') return resolve(target, schema, always, strictGroups, groups);
    const key =
      schema === undefined && groups === undefined
        ? `${always ? 'a' : ''}${strictGroups ? 's' : ''}`
        : JSON.stringify([schema, always, strictGroups, groups]);
    let byOptions = cache.get(target);
    if (!byOptions) cache.set(target, (byOptions = new Map()));
    let metadatas = byOptions.get(key);
    if (!metadatas) byOptions.set(key, (metadatas = resolve(target, schema, always, strictGroups, groups)));
    return metadatas.slice();
  };
  for (const name of ['addValidationMetadata', 'addConstraintMetadata'] as const) {
    const add = storage[name].bind(storage) as (metadata: unknown) => void;
    storage[name] = (metadata: never) => {
      cache = new WeakMap();
      compiledRules = new WeakMap();
      add(metadata);
    };
  }
}

const storage = getMetadataStorage();
cacheTargetMetadatas(storage);

/** One property's rules: the conditions that let it be skipped (`@IsOptional`) and the checks it must pass. */
interface PropertyRules {
  property: string;
  conditions: ((object: object, value: unknown) => boolean)[];
  checks: {
    metadata: TargetMetadatas[number];
    constraint: { validate(value: unknown, args: ValidationArguments): unknown };
  }[];
}

interface CompiledRules {
  properties: ReadonlySet<string>;
  rules: PropertyRules[];
}

/** Per class; `null` when a rule is outside what `compileRules` handles. Emptied with the metadata cache. */
let compiledRules = new WeakMap<object, CompiledRules | null>();

/**
 * A class's rules as a flat list, for `passesCompiledRules`: the same validator functions class-validator's
 * executor calls, with the same arguments, without its per-call grouping, error objects and container look-ups
 * (`ConstraintMetadata.instance` searches a list). Only flat rules are compiled: custom and `@IsDefined` checks
 * (not async), conditions (`@IsOptional`, `@ValidateIf`) and `@Allow`. Nested or promise rules leave
 * the class to class-validator alone.
 */
function compileRules(cls: object): CompiledRules | null {
  const metadatas = storage.getTargetValidationMetadatas(cls as never, undefined as never, false, false, undefined);
  if (metadatas.length === 0) return null;
  const byProperty = new Map<string, PropertyRules>();
  for (const metadata of metadatas) {
    let rules = byProperty.get(metadata.propertyName);
    if (!rules)
      byProperty.set(metadata.propertyName, (rules = { property: metadata.propertyName, conditions: [], checks: [] }));
    switch (metadata.type) {
      case ValidationTypes.WHITELIST:
        break;
      case ValidationTypes.CONDITIONAL_VALIDATION:
        rules.conditions.push(metadata.constraints[0] as PropertyRules['conditions'][number]);
        break;
      case ValidationTypes.CUSTOM_VALIDATION:
      case ValidationTypes.IS_DEFINED:
        for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls)) {
          if (constraint.async) return null;
          rules.checks.push({
            metadata,
            constraint: constraint.instance as PropertyRules['checks'][number]['constraint'],
          });
        }
        break;
      default:
        return null;
    }
  }
  return { properties: new Set(byProperty.keys()), rules: [...byProperty.values()] };
}

/**
 * Whether `instance` passes its class's compiled rules as `validateSync` with `validatePayload`'s options would
 * pass it: no property without rules, and for each property whose conditions hold, every check answers `true`.
 * `false` means "not known to pass": class-validator then decides, and words the errors. So a payload is never
 * accepted here that class-validator would refuse (validation.spec.ts compares the two on every contract).
 */
export function passesCompiledRules(instance: object): boolean {
  const cls = instance.constructor as object;
  let compiled = compiledRules.get(cls);
  if (compiled === undefined) compiledRules.set(cls, (compiled = compileRules(cls)));
  if (!compiled) return false;
  for (const key of Object.keys(instance)) if (!compiled.properties.has(key)) return false;
  const object = instance as Record<string, unknown>;
  for (const { property, conditions, checks } of compiled.rules) {
    const value = object[property];
    if (!conditions.every((condition) => condition(object, value) as unknown)) continue;
    for (const { metadata, constraint } of checks) {
      if (metadata.validateIf && !metadata.validateIf(object, value)) continue;
      const args: ValidationArguments = {
        targetName: (cls as { name?: string }).name as string,
        property,
        object,
        value,
        constraints: metadata.constraints,
      };
      if (metadata.each && (Array.isArray(value) || value instanceof Set || value instanceof Map)) {
        for (const item of value instanceof Map ? value.values() : value) {
          if (constraint.validate(item, args) !== true) return false;
        }
      } else if (constraint.validate(value, args) !== true) return false;
    }
  }
  return true;
}

/** The part of class-transformer's metadata storage that says whether a class has any of its decorators. */
interface TransformerMetadataStorage {
  _typeMetadatas: Map<unknown, unknown>;
  _transformMetadatas: Map<unknown, unknown>;
  _exposeMetadatas: Map<unknown, unknown>;
  _excludeMetadatas: Map<unknown, unknown>;
  getAncestors(target: unknown): unknown[];
}

const transformerStorage = defaultMetadataStorage as TransformerMetadataStorage;
const transformerMaps = [
  transformerStorage._typeMetadatas,
  transformerStorage._transformMetadatas,
  transformerStorage._exposeMetadatas,
  transformerStorage._excludeMetadatas,
];

const transformerStorageKnown = transformerMaps.every((map) => map instanceof Map);

/** No `@Type`, `@Transform`, `@Expose` or `@Exclude` on the class or its ancestors (unknown storage: assume some). */
function hasNoTransformerDecorators(cls: object): boolean {
  if (!transformerStorageKnown) return false;
  if (transformerMaps.some((map) => map.has(cls))) return false;
  for (const ancestor of transformerStorage.getAncestors(cls)) {
    if (transformerMaps.some((map) => map.has(ancestor))) return false;
  }
  return true;
}

/**
 * `plainToInstance(cls, value)` (default options) without its per-key metadata look-ups, for the usual payload: a
 * plain object, a class without class-transformer decorators and only primitive values, which plainToInstance copies
 * as they are.
 * Same result: a new `cls`, every own enumerable key assigned (undefined ones too) except `__proto__`,
 * `constructor`, the class's read-only accessors and the names of methods. Anything else goes to plainToInstance.
 */
function toInstance<T extends object>(cls: PayloadClass<T>, value: object): T {
  if (isPlainObject(value) && hasNoTransformerDecorators(cls)) {
    const source = value as Record<string, unknown>;
    const keys = Object.keys(source);
    const values = keys.map((key) => source[key]);
    if (values.every(isPrimitive)) {
      const instance = new cls() as Record<string, unknown>;
      const prototype = (instance.constructor as { prototype?: object } | undefined)?.prototype;
      keys.forEach((key, i) => {
        if (key === '__proto__' || key === 'constructor') return;
        if (prototype) {
          const descriptor = Object.getOwnPropertyDescriptor(prototype, key);
          if ((descriptor && !descriptor.set) || instance[key] instanceof Function) return;
        }
        instance[key] = values[i];
      });
      return instance as T;
    }
  }
  return plainToInstance(cls, value, { enableImplicitConversion: false });
}

/** What JSON.parse and the form parser make (a Map, a Set, a Date... get plainToInstance's special handling). */
function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function isPrimitive(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol');
}

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
  const instance = toInstance(cls, value);
  if (passesCompiledRules(instance)) return instance;
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) throw new HandoverError('invalid_request', describe(errors).join('; '));
  return instance;
}
