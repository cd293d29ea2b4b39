module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  rules: {
    // The attack suites assert through helpers such as expectRefused (status, message, nothing written).
    'jest/expect-expect': [
      'warn',
      { assertFunctionNames: ['expect', 'expect*'] },
    ],
    // These tests start the backend plugin itself, in a test backend.
    '@backstage/no-mixed-plugin-imports': 'off',
  },
});
