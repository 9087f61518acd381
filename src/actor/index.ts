/** Actors as a library: `import { Actor } from 'coknight/actor'` (no process or console IO here). */
export { Actor, contractEnvOptions, type ActorOptions, type ActorStats } from './actor.js';
export { ParamCache } from './param-cache.js';
export { UploadBlock } from './upload-block.js';
export { measureDeviceFlops } from './profile.js';
