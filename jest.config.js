// Three tiers, one runner (jest 30, native ESM, @swc/jest): see README "Tests".
const swcTs = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2023',
    keepClassNames: true,
  },
  module: { type: 'es6' },
};

const libs = [
  'contracts',
  'messaging',
  'config',
  'security',
  'observability',
  'storage',
  'http-edge',
  'runtime',
  'testing',
  'mocks',
  'oauth',
];

const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    ...Object.fromEntries(libs.map((lib) => [`^#${lib}$`, `<rootDir>/libs/${lib}/src/index.ts`])),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['@swc/jest', swcTs],
    '^.+\\.js$': ['@swc/jest', { module: { type: 'commonjs' }, jsc: { target: 'es2023' } }],
  },
  // fastify inject: light-my-request (CJS) require()s ESM-only cookie@2
  transformIgnorePatterns: ['/node_modules/(?!(?:cookie)/)(?:@[^/]+/)?[^/]+/(?!node_modules/)'],
};

export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/launcher', '<rootDir>/test/unit'],
      testMatch: ['**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      roots: ['<rootDir>/apps', '<rootDir>/libs'],
      testMatch: ['**/test/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/integration.global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/integration.global-teardown.ts',
    },
    {
      ...common,
      displayName: 'e2e-embedded',
      roots: ['<rootDir>/test/e2e'],
      testMatch: ['**/*.e2e-spec.ts'],
      setupFiles: ['<rootDir>/test/e2e/mode-embedded.ts'],
    },
    {
      ...common,
      displayName: 'e2e-distributed',
      roots: ['<rootDir>/test/e2e'],
      testMatch: ['**/*.e2e-spec.ts'],
      setupFiles: ['<rootDir>/test/e2e/mode-distributed.ts'],
      globalSetup: '<rootDir>/libs/testing/src/integration.global-setup.ts',
      globalTeardown: '<rootDir>/libs/testing/src/integration.global-teardown.ts',
    },
  ],
};
