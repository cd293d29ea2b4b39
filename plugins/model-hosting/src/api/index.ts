export * from './ModelHostingApi';
export * from './ModelHostingClient';
