export * from './service.js';
export * from './server.js';
export * from './client.js';
export * from './calls.js';
export * from './serve-session.js';
export * from './serve-client.js';
