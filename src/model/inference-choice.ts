/** Who runs inference (kept free of tfjs so that light entry points can validate the flag). */
export const INFERENCE_CHOICES = ['auto', 'onnx', 'tfjs'] as const;
export type InferenceChoice = (typeof INFERENCE_CHOICES)[number];
