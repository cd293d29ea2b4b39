import { configure } from '@testing-library/react';
import '@testing-library/jest-dom';

// Two cores run every package's tests at once (and the first render loads a page's modules): give
// the first render time to arrive, and each test more than jest's 5 s.
configure({ asyncUtilTimeout: 10_000 });
jest.setTimeout(30_000);
