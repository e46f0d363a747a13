import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettierConfig from 'eslint-config-prettier';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.cache/**',
      '.vscode-test/**',
      'out/**',
      '*.vsix',
      '.demo/**',
      'test-artifacts/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        __dirname: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Node scripts and the Playwright drivers (whose page.evaluate callbacks run in the browser).
    files: ['scripts/**/*.mjs', 'test/integration/driver/**/*.mjs'],
    languageOptions: {
      globals: {
        fetch: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        document: 'readonly',
        window: 'readonly',
      },
    },
  },
  {
    // The network core and the node supervisor run (and are tested) without VS Code.
    files: ['node-core/**', 'extension/src/nodes/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'vscode', message: 'node-core and extension/src/nodes must not depend on VS Code.' }] },
      ],
    },
  },
  // Formatting is Prettier's (`.prettierrc.json`, checked by `npm run lint`): no ESLint rule may fight it.
  prettierConfig,
  {
    // Prettier does not wrap strings and comments; this catches what it leaves over 120 columns.
    rules: { 'max-len': ['error', { code: 120, ignoreUrls: true }] },
  },
);
