// @ts-check
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const NODE_BUILTINS = [...builtinModules.filter(m => !m.startsWith('_')), ...builtinModules.map(m => `node:${m}`)];

/**
 * The import rule for one runtime folder: no listed module (type imports of vscode are
 * fine only where vscode is not listed), no sibling folder of another runtime, and none
 * of the globals that runtime does not have.
 */
function layer(files, what, { modules, folders, globals }) {
  return [{
    files: [files],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          ...(modules.length ? [{ regex: `^(${modules.map(m => m.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})(/.*)?$`, message: `${what}: it may not import this module.` }] : []),
          ...folders.map(f => ({ regex: `^(\\.\\./)+${f}(/|$)`, message: `${what}: it may not import src/${f}.` }))
        ]
      }],
      'no-restricted-globals': ['error', ...globals.map(name => ({ name, message: `${what}: ${name} does not exist there.` }))]
    }
  }];
}

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'results/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The formatter: one layout for the whole tree, applied by `npm run format` (eslint --fix).
    // .editorconfig says the same to editors.
    files: ['**/*.ts', '**/*.mts', '**/*.mjs', '**/*.cjs', '**/*.js'],
    plugins: { '@stylistic': stylistic },
    rules: {
      '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
      '@stylistic/semi': ['error', 'always'],
      '@stylistic/comma-dangle': ['error', 'never'],
      '@stylistic/eol-last': ['error', 'always'],
      '@stylistic/no-trailing-spaces': 'error',
      '@stylistic/no-multiple-empty-lines': ['error', { max: 1, maxEOF: 0, maxBOF: 0 }],
      '@stylistic/brace-style': ['error', '1tbs', { allowSingleLine: true }],
      '@stylistic/keyword-spacing': 'error',
      '@stylistic/space-infix-ops': 'error',
      '@stylistic/comma-spacing': 'error',
      '@stylistic/arrow-spacing': 'error',
      '@stylistic/space-before-blocks': 'error',
      '@stylistic/linebreak-style': ['error', 'unix'],
      '@stylistic/no-tabs': 'error'
    }
  },
  {
    files: ['**/*.ts', '**/*.mts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      eqeqeq: ['error', 'smart']
    }
  },
  // Folders by runtime (docs/architecture.md): what each may import is enforced here.
  ...layer('src/common/**/*.ts', 'src/common holds pure code that runs in the extension host and in webviews', {
    modules: [...NODE_BUILTINS, 'vscode'],
    folders: ['node', 'vscode', 'webview'],
    globals: ['Buffer', 'process', 'require', 'module', '__dirname', 'window', 'document']
  }),
  ...layer('src/node/**/*.ts', 'src/node is Node I/O for the extension host', {
    modules: ['vscode'],
    folders: ['vscode', 'webview'],
    globals: ['window', 'document']
  }),
  ...layer('src/vscode/**/*.ts', 'src/vscode adapts the VS Code API', {
    modules: [],
    folders: ['webview'],
    globals: []
  }),
  ...layer('src/webview/**/*.ts', 'src/webview runs in a webview page', {
    modules: [...NODE_BUILTINS, 'vscode'],
    folders: ['node', 'vscode'],
    globals: ['Buffer', 'process', 'require', 'module', '__dirname']
  }),
  {
    files: ['test/**/*.ts', 'test/**/*.mts', 'test/**/*.mjs', '*.mjs'],
    rules: { 'no-console': 'off' }
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    languageOptions: { globals: { fetch: 'readonly', AbortSignal: 'readonly', AbortController: 'readonly', URLSearchParams: 'readonly', process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable', Buffer: 'readonly' } }
  }
);
