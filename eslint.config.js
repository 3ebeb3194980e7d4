// ESLint flat config: typescript-eslint's type-aware rules over every TypeScript file, Prettier's
// formatting rules switched off (Prettier itself holds the layout; `npm run lint` runs both).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';
import maxClassLines from './eslint/max-class-lines.js';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'coverage/', 'scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Before our own rules: it switches max-len off, which we want back for what Prettier cannot wrap.
  prettier,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { local: { rules: { 'max-class-lines': maxClassLines } } },
    rules: {
      // A bot full of fire-and-forget work: every promise is awaited, returned, or marked `void` on purpose.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Prettier holds code at 120 columns; comments, which it does not wrap, are held here. A string or template
      // literal may run on: a message or a test name split in pieces can no longer be found with grep.
      'max-len': [
        'error',
        {
          code: 120,
          ignoreUrls: true,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreRegExpLiterals: true,
        },
      ],
    },
  },
  {
    // Product code (STYLE): no file over 300 lines, no class over 250.
    files: ['src/**/*.ts', 'commands/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 300, skipBlankLines: false, skipComments: false }],
      'local/max-class-lines': ['error', { max: 250 }],
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // CommonJS files (a test's preload, the dependency-cruiser config): require() is what they are for.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
