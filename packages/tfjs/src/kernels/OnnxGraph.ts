/**
 * Serialises one-node ONNX models (protobuf `ModelProto`) in memory, so the native kernels can build the MLAS
 * sessions they run without shipping `.onnx` files or a protobuf library. Only the fields onnxruntime reads are
 * written: IR 8, opsets `""` 17 and `com.microsoft` 1, float32 inputs/outputs with symbolic dims (so one session
 * serves every shape of a given rank and transpose form), and float32 initializers (constant weights, which
 * onnxruntime pre-packs once per session).
 *
 * @since 0.1.0
 */

const varint = (value: number): Array<number> => {
  const out: Array<number> = []
  let v = value
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80)
    v = Math.floor(v / 128)
  }
  out.push(v)
  return out
}
const key = (field: number, wire: 0 | 2 | 5) => varint((field << 3) | wire)
const int = (field: number, value: number) => [...key(field, 0), ...varint(value)]
const bytes = (field: number, payload: ReadonlyArray<number>) => [...key(field, 2), ...varint(payload.length), ...payload]
const str = (field: number, text: string) => bytes(field, [...new TextEncoder().encode(text)])
const float = (field: number, value: number) => {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setFloat32(0, value, true)
  return [...key(field, 5), ...b]
}

/**
 * A node attribute: an integer (`AttributeProto.INT`), a float (`FLOAT`), integers (`INTS`) or a 1-D int64 tensor
 * (`TENSOR`, e.g. a `Constant` shape).
 */
export type OnnxAttribute =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly ints: ReadonlyArray<number> }
  | { readonly int64Tensor: ReadonlyArray<number> }

/** One graph node. */
export interface OnnxNode {
  readonly op: string
  readonly domain?: string
  readonly inputs: ReadonlyArray<string>
  readonly outputs: ReadonlyArray<string>
  readonly attributes?: Readonly<Record<string, OnnxAttribute>>
}

/** A float32 graph input or output; a string dim is symbolic. */
export interface OnnxValue {
  readonly name: string
  readonly dims: ReadonlyArray<number | string>
}

const FLOAT_ELEMENT = 1
const ATTRIBUTE_FLOAT = 1
const ATTRIBUTE_INT = 2
const ATTRIBUTE_TENSOR = 4
const ATTRIBUTE_INTS = 7
const INT64_ELEMENT = 7

/** `TensorProto`: dims, data_type, int64_data (unpacked). */
const int64Tensor = (values: ReadonlyArray<number>) => [...int(1, values.length), ...int(2, INT64_ELEMENT), ...values.flatMap((v) => int(7, v))]

const attribute = (name: string, value: OnnxAttribute) =>
  bytes(
    5,
    "int" in value
      ? [...str(1, name), ...int(3, value.int), ...int(20, ATTRIBUTE_INT)]
      : "ints" in value
        ? [...str(1, name), ...value.ints.flatMap((v) => int(8, v)), ...int(20, ATTRIBUTE_INTS)]
        : "int64Tensor" in value
          ? [...str(1, name), ...bytes(5, int64Tensor(value.int64Tensor)), ...int(20, ATTRIBUTE_TENSOR)]
          : [...str(1, name), ...float(2, value.float), ...int(20, ATTRIBUTE_FLOAT)]
  )

const valueInfo = (value: OnnxValue) => {
  const dims = value.dims.flatMap((d) => bytes(1, typeof d === "number" ? int(1, d) : str(2, d)))
  return [...str(1, value.name), ...bytes(2, bytes(1, [...int(1, FLOAT_ELEMENT), ...bytes(2, dims)]))]
}

/** A float32 constant of the graph (`TensorProto` with `raw_data`, little-endian like the host). */
export interface OnnxInitializer {
  readonly name: string
  readonly dims: ReadonlyArray<number>
  readonly data: Float32Array
}

const concat = (parts: ReadonlyArray<ArrayLike<number>>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** A length-delimited field whose payload may be large (no number arrays). */
const bigBytes = (field: number, payload: Uint8Array): Uint8Array => concat([key(field, 2), varint(payload.length), payload])

const initializerBytes = (initializer: OnnxInitializer): Uint8Array => {
  const { data } = initializer
  return bigBytes(
    5,
    concat([
      initializer.dims.flatMap((d) => int(1, d)),
      int(2, FLOAT_ELEMENT),
      str(8, initializer.name),
      bigBytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    ])
  )
}

/**
 * The serialised model.
 *
 * @since 0.1.0
 * @category constructors
 */
export const onnxModel = (
  nodes: ReadonlyArray<OnnxNode>,
  inputs: ReadonlyArray<OnnxValue>,
  outputs: ReadonlyArray<OnnxValue>,
  initializers: ReadonlyArray<OnnxInitializer> = []
): Uint8Array => {
  const graph = [
    ...nodes.flatMap((node, i) =>
      bytes(1, [
        ...node.inputs.flatMap((name) => str(1, name)),
        ...node.outputs.flatMap((name) => str(2, name)),
        ...str(3, `node${i}`),
        ...str(4, node.op),
        ...Object.entries(node.attributes ?? {}).flatMap(([name, value]) => attribute(name, value)),
        ...(node.domain === undefined ? [] : str(7, node.domain))
      ])
    ),
    ...str(2, "robovla_kernel"),
    ...inputs.flatMap((value) => bytes(11, valueInfo(value))),
    ...outputs.flatMap((value) => bytes(12, valueInfo(value)))
  ]
  const opsets = [...bytes(8, [...str(1, ""), ...int(2, 17)]), ...bytes(8, [...str(1, "com.microsoft"), ...int(2, 1)])]
  if (initializers.length === 0) return Uint8Array.from([...int(1, 8), ...opsets, ...bytes(7, graph)])
  return concat([int(1, 8), opsets, bigBytes(7, concat([graph, ...initializers.map(initializerBytes)]))])
}
