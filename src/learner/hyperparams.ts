/**
 * The learner's hyperparameters: the config's `hyper` section (whose zod schema holds every default:
 * DESIGN.md's IMPALA values) plus the two run facts the learning-rate schedule and frame count need.
 */
import { configSchema, hyperSchema, type HyperParams } from '../config/schema.js';

export type LearnerHyperParams = HyperParams & {
  /** Environment frames over which the learning rate anneals to 0. */
  readonly totalFrames: number;
  /** Environment frames per agent step (Atari frame skip 4; MinAtar 1): frames = T·B·actionRepeat per update. */
  readonly actionRepeat: number;
};

/** The schema's defaults, with the run config's default frame budget. */
export const DEFAULT_LEARNER_HYPERPARAMS: LearnerHyperParams = resolveLearnerHyperParams();

/** Merge overrides onto the schema's defaults and check every field, naming the bad one. */
export function resolveLearnerHyperParams(overrides: Partial<LearnerHyperParams> = {}): LearnerHyperParams {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<LearnerHyperParams>;
  const { totalFrames = configSchema.shape.frames.parse(undefined), actionRepeat = 1, ...hyper } = defined;
  const parsed = hyperSchema.safeParse(hyper);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join('.');
    throw new RangeError(`learner hyperparameter ${field} = ${JSON.stringify((hyper as Record<string, unknown>)[field])} is invalid: ${issue.message}`);
  }
  if (!Number.isInteger(actionRepeat) || actionRepeat < 1)
    throw new RangeError(`learner hyperparameter actionRepeat = ${actionRepeat} is invalid: must be a positive integer`);
  if (!(totalFrames > 0) || !Number.isFinite(totalFrames))
    throw new RangeError(`learner hyperparameter totalFrames = ${totalFrames} is invalid: must be a finite number > 0`);
  return { ...parsed.data, totalFrames, actionRepeat };
}
