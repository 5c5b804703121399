// typescript-eslint with type information (flat config). Every rule switched off says why.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'test-results/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js', 'scripts/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // the code's convention: a leading underscore marks a value left unused on purpose
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Yoga and graphql-ws hand their callbacks (endResponse, fetchAPI…) to hooks as methods of an object
      '@typescript-eslint/unbound-method': 'off',
      // rejecting with an error received from elsewhere (an iterator's, a socket's) passes it on unchanged
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    files: ['test/**', 'bench/**'],
    rules: {
      // tests and benchmarks read response bodies and log lines as untyped JSON on purpose
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // ws hands tests Buffers: String(data) reads them
      '@typescript-eslint/no-base-to-string': 'off',
      // async stand-ins for interfaces that return promises
      '@typescript-eslint/require-await': 'off',
      // async event handlers in test and bench processes report their own failures
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
  {
    files: ['**/*.mjs', 'eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
