// ESLint flat config: typescript-eslint's type-aware rules where they catch real bugs in this code
// base (floating and misused promises, unsafe any), on src/, test/ and bench/.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'packages/ale-wasm/wasm/**', 'runs/**', 'experiments/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      globals: globals.node,
      parserOptions: { project: './tsconfig.lint.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unsafe-argument': 'error',
      '@typescript-eslint/no-unsafe-assignment': 'error',
      '@typescript-eslint/no-unsafe-call': 'error',
      '@typescript-eslint/no-unsafe-return': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      // tidy walks what its function returns element by element: a typed array read inside it costs more than the op.
      'no-restricted-syntax': [
        'error',
        ...['', ' > TSAsExpression'].map((cast) => ({
          selector: `CallExpression[callee.property.name='tidy'] > ArrowFunctionExpression${cast} > CallExpression[callee.property.name=/^(dataSync|arraySync)$/]`,
          message: 'tf.tidy(() => t.dataSync()) walks the returned array element by element: use readFloats(() => t) from src/backend.',
        })),
      ],
    },
  },
  {
    // The roles are libraries: they report through a log callback or a sink, never to the console.
    files: ['src/learner/**/*.ts', 'src/actor/**/*.ts', 'src/transport/**/*.ts', 'src/model/**/*.ts', 'src/partition/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // Tests, benches and experiments read JSON summaries and child-process output: `any` there is the data's shape, not a bug.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'experiments/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: globals.node },
  },
);
