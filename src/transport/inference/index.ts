export * from './service.js';
export * from './server.js';
export * from './client.js';
export * from './calls.js';
