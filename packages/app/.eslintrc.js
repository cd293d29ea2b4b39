module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  overrides: [
    {
      // The end-to-end tests run in Node (Playwright), not in the browser bundle.
      files: ['e2e-tests/**', 'e2e-production/**'],
      rules: {
        'no-restricted-imports': 'off',
        '@backstage/no-relative-monorepo-imports': 'off',
      },
    },
  ],
});
