/**
 * Vision-language pairs from the play table: scene facts, captions and questions, the generator, the metrics.
 *
 * @since 0.1.0
 */
export * from "./SceneFacts.ts"
export * from "./Language.ts"
export * from "./VlPairs.ts"
export * from "./Metrics.ts"
