// The run's public surface for the CLI: targets, gather (one exec per host), the planner wiring,
// apply (one exec per host) with the convergence check, and the progress events. Each concept
// lives in a file of its own; this file only re-exports them.
export type { ProgressEvent, RunHooks } from './events.js';
export { targetHosts, targetNodes } from './targets.js';
export { gatherCluster, gatherHost, type GatherResult, type GatherRunOptions } from './gather.js';
export { countOk, planGathered, type ClusterPlan, type ConvergenceCheck } from './node-states.js';
export { applyPlan, type RunOptions } from './apply.js';
export { classifyError, type NodeProblem, type ProblemStatus } from './outcomes.js';
export type { Connection, ExecResult, Transport } from './transport.js';
