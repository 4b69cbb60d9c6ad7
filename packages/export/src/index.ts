/**
 * @robovla/export: policies (backbone + head) to ONNX graphs, and the onnxruntime-node runtime that serves them.
 *
 * - `exportPolicy(spec, { outDir })`: any spec `loadPolicyModel` reads → an export folder, verified against the
 *   source policy over a rollout;
 * - `loadExportedPolicy(dir, { executionProvider })`: the folder as a `PolicyModel` (CUDA > WebGPU > CPU);
 * - `GraphBuilder` and the layer helpers, for exporters of other plugins.
 *
 * @since 0.1.0
 */
export { compareRollouts, exportPolicy, exportPolicyModel } from "./Export.ts"
export type { ExportOptions, ExportResult, ExportSource } from "./Export.ts"
export { ExportError, ExportErrorReason } from "./ExportError.ts"
export { EXPORTABLE_HEADS, exportHead, registerHeadExporter } from "./exporters/HeadExporters.ts"
export type { HeadDims, HeadExporter, HeadGraph, StepperKind } from "./exporters/HeadExporters.ts"
export { exportStateToken } from "./exporters/StateTokenExporter.ts"
export { asTinyVlmSource, exportTinyVlm } from "./exporters/TinyVlmExporter.ts"
export type { BackboneGraphs, TinyVlmSource } from "./exporters/TinyVlmExporter.ts"
export { decodeModel, float, GraphBuilder, OPSET } from "./graph/GraphBuilder.ts"
export type { Attr, DType, Dim, TensorValue } from "./graph/GraphBuilder.ts"
export * as Layers from "./graph/Layers.ts"
export { ExportManifest, MANIFEST_FILE, MANIFEST_FORMAT, MANIFEST_FORMAT_V2, readManifest, StateTokenGraph } from "./Manifest.ts"
export { BpeTokenizerSpec, makeBpeTokenizer } from "./runtime/BpeTokenizer.ts"
export { PROVIDER_ORDER, probeProvider, ProviderPreference, selectProvider } from "./runtime/ExecutionProvider.ts"
export type { ProviderChoice, ProviderName, ProviderProbe } from "./runtime/ExecutionProvider.ts"
export { loadExportedPolicy, makePolicyModel } from "./runtime/ExportedPolicy.ts"
export type { ExportedPolicyModel, LoadExportOptions } from "./runtime/ExportedPolicy.ts"
export { makeOrtBackbone, makeOrtHead, makeOrtStateToken } from "./runtime/OrtParts.ts"
