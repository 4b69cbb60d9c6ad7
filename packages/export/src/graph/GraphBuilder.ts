/**
 * A small builder for ONNX graphs: named inputs with symbolic dims, float/int initializers, nodes with typed
 * attributes, outputs; serialised with `onnx-proto` (protobufjs code generated from the official onnx.proto),
 * so the bytes are written by a protobuf library, never by hand.
 *
 * Values are referred to by name (strings). `op` returns the name of its (first) output; `opN` returns all.
 *
 * @since 0.1.0
 */
import onnxProto from "onnx-proto"

const { onnx } = onnxProto

/**
 * The default-domain opset the exporters target (Trilu needs 14; IR version 8 covers it).
 *
 * @since 0.1.0
 * @category constants
 */
export const OPSET = 14
const IR_VERSION = 8

/** @since 0.1.0 @category models */
export type DType = "float32" | "int64" | "int32" | "bool"

/** A dim: a fixed size or a symbolic name shared across inputs and outputs (`"B"`, `"T"`). @since 0.1.0 @category models */
export type Dim = number | string

const DATA_TYPE: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL
}

/** A float attribute (plain numbers are ints). @since 0.1.0 @category models */
export interface FloatAttr {
  readonly float: number
}

/** @since 0.1.0 @category constructors */
export const float = (value: number): FloatAttr => ({ float: value })

/** @since 0.1.0 @category models */
export type Attr = number | ReadonlyArray<number> | string | FloatAttr | { readonly floats: ReadonlyArray<number> } | { readonly tensor: TensorValue }

/** A constant tensor's values and shape. @since 0.1.0 @category models */
export interface TensorValue {
  readonly data: Float32Array | BigInt64Array | Int32Array
  readonly dims: ReadonlyArray<number>
}

const dtypeOf = (data: TensorValue["data"]): DType =>
  data instanceof Float32Array ? "float32" : data instanceof BigInt64Array ? "int64" : "int32"

const tensorProto = (name: string, value: TensorValue) => {
  const size = value.dims.reduce((a, b) => a * b, 1)
  if (size !== value.data.length) throw new RangeError(`tensor ${name}: ${value.data.length} values for dims [${value.dims.join(", ")}]`)
  // raw_data is little-endian; every platform Node runs on here is little-endian, so the typed array's bytes are it.
  const bytes = new Uint8Array(value.data.buffer, value.data.byteOffset, value.data.byteLength)
  return onnx.TensorProto.create({ name, dims: [...value.dims], dataType: DATA_TYPE[dtypeOf(value.data)], rawData: Uint8Array.from(bytes) })
}

const attribute = (name: string, value: Attr) => {
  const A = onnx.AttributeProto.AttributeType
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new RangeError(`attribute ${name}: ${value} is not an integer (wrap floats with float())`)
    return onnx.AttributeProto.create({ name, type: A.INT, i: value })
  }
  if (typeof value === "string") return onnx.AttributeProto.create({ name, type: A.STRING, s: new TextEncoder().encode(value) })
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: A.INTS, ints: [...(value as ReadonlyArray<number>)] })
  if ("float" in value) return onnx.AttributeProto.create({ name, type: A.FLOAT, f: value.float })
  if ("floats" in value) return onnx.AttributeProto.create({ name, type: A.FLOATS, floats: [...value.floats] })
  if (!("tensor" in value)) throw new RangeError(`attribute ${name}: unsupported value ${JSON.stringify(value)}`)
  return onnx.AttributeProto.create({ name, type: A.TENSOR, t: tensorProto(`${name}_value`, value.tensor) })
}

const valueInfo = (name: string, dtype: DType, dims: ReadonlyArray<Dim>) =>
  onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: DATA_TYPE[dtype],
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) => typeof d === "number" ? onnx.TensorShapeProto.Dimension.create({ dimValue: d }) : onnx.TensorShapeProto.Dimension.create({ dimParam: d }))
        })
      })
    })
  })

/**
 * @since 0.1.0
 * @category models
 */
export class GraphBuilder {
  readonly #nodes: Array<ReturnType<typeof onnx.NodeProto.create>> = []
  readonly #initializers: Array<ReturnType<typeof onnx.TensorProto.create>> = []
  readonly #inputs: Array<ReturnType<typeof onnx.ValueInfoProto.create>> = []
  readonly #outputs: Array<ReturnType<typeof onnx.ValueInfoProto.create>> = []
  readonly #names = new Set<string>()
  #counter = 0

  constructor(readonly name: string) {}

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    let name: string
    do name = `${prefix}_${this.#counter++}`
    while (this.#names.has(name))
    this.#names.add(name)
    return name
  }

  #claim(name: string): string {
    if (this.#names.has(name)) throw new RangeError(`graph ${this.name}: the name ${name} is used twice`)
    this.#names.add(name)
    return name
  }

  /** Declares a graph input. */
  input(name: string, dtype: DType, dims: ReadonlyArray<Dim>): string {
    this.#inputs.push(valueInfo(this.#claim(name), dtype, dims))
    return name
  }

  /** Adds a weight (or any constant) as an initializer; `name` is kept when given (weights keep their source names). */
  initializer(value: TensorValue, name?: string): string {
    const n = name === undefined ? this.fresh("const") : this.#claim(name)
    this.#initializers.push(tensorProto(n, value))
    return n
  }

  /** A float32 constant. */
  floats(values: ArrayLike<number>, dims: ReadonlyArray<number> = [values.length]): string {
    return this.initializer({ data: Float32Array.from(values), dims })
  }

  /** A float32 scalar constant (rank 0). */
  scalar(value: number): string {
    return this.initializer({ data: Float32Array.of(value), dims: [] })
  }

  /** An int64 constant (shapes, axes, indices). */
  ints(values: ReadonlyArray<number>, dims: ReadonlyArray<number> = [values.length]): string {
    return this.initializer({ data: BigInt64Array.from(values.map((v) => BigInt(v))), dims })
  }

  /** One node with `outputs` results; returns their names. */
  opN(opType: string, inputs: ReadonlyArray<string>, outputs: number, attributes: Readonly<Record<string, Attr>> = {}, names?: ReadonlyArray<string>): Array<string> {
    const out = Array.from({ length: outputs }, (_, i) => names?.[i] !== undefined ? this.#claim(names[i]!) : this.fresh(opType.toLowerCase()))
    this.#nodes.push(onnx.NodeProto.create({
      opType,
      name: this.fresh(`${opType}_node`),
      input: [...inputs],
      output: out,
      attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v))
    }))
    return out
  }

  /** One node with one result. */
  op(opType: string, inputs: ReadonlyArray<string>, attributes: Readonly<Record<string, Attr>> = {}, name?: string): string {
    return this.opN(opType, inputs, 1, attributes, name === undefined ? undefined : [name])[0]!
  }

  /** Declares `value` a graph output named `name` (through an Identity when the names differ). */
  output(name: string, value: string, dtype: DType, dims: ReadonlyArray<Dim>): void {
    const final = value === name ? value : this.op("Identity", [value], {}, name)
    this.#outputs.push(valueInfo(final, dtype, dims))
  }

  /** The serialised ModelProto. */
  toBytes(options: { readonly producer?: string; readonly docString?: string; readonly metadata?: Readonly<Record<string, string>> } = {}): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: options.producer ?? "robovla-export",
      producerVersion: "0.1.0",
      docString: options.docString ?? "",
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: "", version: OPSET })],
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => onnx.StringStringEntryProto.create({ key, value })),
      graph: onnx.GraphProto.create({
        name: this.name,
        node: this.#nodes,
        initializer: this.#initializers,
        input: this.#inputs,
        output: this.#outputs
      })
    })
    return onnx.ModelProto.encode(model).finish()
  }

  /** Node count (for reports). */
  get nodeCount(): number {
    return this.#nodes.length
  }
}

/**
 * Decodes a ModelProto (tests and tools read back what was written).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeModel = (bytes: Uint8Array) => onnx.ModelProto.decode(bytes)
