/** Public model API: `import { createModel } from 'coknight/model'`. */
export { createModel, PolicyModel, type LayerInfo, type ModelOptions, type PolicyOutput } from './policy-model.js';
export { NETWORK_SPECS, type NetworkSpec } from './networks.js';
export { convOutLength, type LayerDef, type ParamSpec, type Padding } from './layer-builder.js';
export { encodeLayerWeights, decodeLayerWeights, WEIGHTS_FORMAT_VERSION, type LayerWeightsPayload, type EncodedTensor } from './weights-codec.js';
export { act, headActivations, pickActions, resolveNetworkSpec, networkSpecFromName, type Act, type ActOptions } from './policy.js';
export { sampleFromLogits, argmaxRows } from './sampling.js';
export { measureForwardFlops } from './flops.js';
export { createPolicyRunner, TfjsPolicyRunner, INFERENCE_CHOICES, type InferenceChoice, type PolicyRunner, type PolicyRunnerOptions } from './policy-runner.js';
export { OnnxPolicyRunner, loadOnnxRuntime, type WeightsMode } from './onnx-runner.js';
export { buildSegmentGraph, type SegmentGraph, type WeightBinding } from './onnx-graph.js';
