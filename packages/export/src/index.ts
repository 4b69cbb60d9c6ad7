/**
 * @robovla/export: policies to ONNX, and the onnxruntime-node runtime that serves the export.
 *
 * @since 0.1.0
 */
export {}
