// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'results/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      eqeqeq: ['error', 'smart']
    }
  },
  {
    // src/common must stay testable in plain Node: only type imports of vscode.
    files: ['src/common/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'src/common must not import vscode at runtime; use `import type`.', allowTypeImports: true }]
      }]
    }
  },
  {
    // Heavy modules are loaded on first use, so activation never pays for them.
    files: ['src/extension.ts', 'src/vscode/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { group: ['@modelcontextprotocol/sdk', '@modelcontextprotocol/sdk/*', 'openai', 'openai/*'], message: 'Load the MCP SDK and openai through src/vscode/lazy.ts.', allowTypeImports: true }
        ]
      }]
    }
  },
  {
    files: ['test/**/*.ts', 'test/**/*.mts', 'test/**/*.mjs', '*.mjs'],
    rules: { 'no-console': 'off' }
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    languageOptions: { globals: { fetch: 'readonly', AbortSignal: 'readonly', AbortController: 'readonly', URLSearchParams: 'readonly', process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable', Buffer: 'readonly' } }
  }
);
