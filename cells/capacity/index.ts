/** The capacity planner and cost estimate (`npm run capacity`), and the synth-time warnings. */
export { type CostEstimate, type CostLine, type ModeCost, costRows, estimateCost } from "./cost";
export { PLANNING_MODEL, consumerSeconds } from "./model";
export {
  type Breach,
  type BreachGroup,
  type CapacityPlan,
  CapacityConfigError,
  type CellCapacity,
  type LimitId,
  type RegionCapacity,
  type Scenario,
  type Usage,
  capacityWarnings,
  cellLoads,
  describeBreach,
  describeBreachGroup,
  describeVisibilityMiss,
  formatNumber,
  formatPercent,
  formatSeconds,
  groupBreaches,
  planCapacity,
  stageShares,
} from "./planner";
export { PRICES, PRICES_AS_OF, PRICES_REGION } from "./prices";
export { QUOTAS, QUOTA_IDS, type QuotaDefinition, type QuotaId, quotaLimit } from "./quotas";
export { type DelayPart, type StageVisibility, expectedQueueWaitSeconds } from "./visibility";
