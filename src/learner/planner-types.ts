import type { Hello, LearnerContract } from '../transport/index.js';

/** What actors that plan for themselves are told in the Contract reply (LearnerContract.planning). */
export type PlanningContext = NonNullable<LearnerContract['planning']>;

/** One actor's new split point, and the codec there (absent: the learner's default at that split). */
export interface PlanChange {
  readonly actorId: string;
  readonly splitPoint: number;
  readonly codec?: string;
}

/** A planner's view of its plan, for logs, metrics and summary.json. */
export interface PlanDescription {
  readonly planner: string;
  readonly assignment: Record<string, number>;
  /** Learner resources the plan uses, where the planner has budgets (DEFP). */
  readonly budgets?: { readonly compute: { used: number; budget: number }; readonly bandwidth: { used: number; budget: number } };
  /** The plan's latency reduction against all-local inference, in seconds per round (DEFP). */
  readonly latencyReduction?: number;
}

/** Decides each actor's split point when it joins (and may move others); told when one leaves. */
export interface SplitPlanner {
  /** `codec`: the (y, codec) planners that choose one say which; absent: the learner's default at y. */
  join(actorId: string, hello: Hello): { splitPoint: number; codec?: string; changes: PlanChange[] };
  leave(actorId: string): PlanChange[];
  describe(): PlanDescription;
  /** Refuses a Hello before the learner allocates anything for it (throws ProtocolError naming the field). */
  check?(actorId: string, hello: Hello): void;
  /** Decentralised planners: the policy and instance actors propose from (sent in the Contract reply). */
  planningContext?(): PlanningContext | undefined;
}
