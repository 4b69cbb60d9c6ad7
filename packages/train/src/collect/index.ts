/**
 * Expert data collection into CALVIN-layout datasets.
 *
 * @since 0.1.0
 */
export * from "./Collector.ts"
export * from "./Episode.ts"
export * from "./TaskPlan.ts"
export * from "./Noise.ts"
