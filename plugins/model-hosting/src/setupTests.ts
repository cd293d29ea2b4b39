import { configure } from '@testing-library/react';
import '@testing-library/jest-dom';

// Two cores run every package's tests at once: give the first render of a page time to arrive.
configure({ asyncUtilTimeout: 10_000 });
