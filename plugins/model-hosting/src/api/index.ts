export * from './ModelHostingApi';
export * from './ModelHostingClient';
export * from './types';
