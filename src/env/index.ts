/** Public environment API: `import { makeEnv, listEnvs } from 'coknight/env'`. */
import './minatar/index.js';
// minatar-pixels/<game>: the MinAtar games as stacked 84×84 frames (Atari-sized tensors).
import './minatar-pixels.js';
// Registers atari/<game> ids only; the emulator loads on the first makeEnv of one.
import './atari/index.js';

export { makeEnv, listEnvs, registerEnv } from './registry.js';
export { VectorEnv, makeVectorEnv, type VectorStep } from './vector.js';
export { EnvError } from './errors.js';
export { packBits, unpackBits, packedLength } from './bitpack.js';
export { MinAtarEnv, MINATAR_ACTION_NAMES } from './minatar/index.js';
export { AtariEnv, type AtariEnvOptions } from './atari/index.js';
export type * from './types.js';
export { runRandomAgent, randomRollout, randomActions, type RandomRollout } from './random-policy.js';
export { MinAtarPixelsEnv, drawGrid, channelGray, PIXEL_SIZE, PIXEL_STACK } from './minatar-pixels.js';
