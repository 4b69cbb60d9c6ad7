/**
 * Writes tiny ONNX graphs by hand (protobuf encoding of ModelProto), so tests can build broken or odd exports
 * (NaN outputs, wrong input names) without Python. Only the fields onnxruntime needs are written.
 */

const varint = (value: number): Array<number> => {
  const bytes: Array<number> = []
  let v = value
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80)
    v = Math.floor(v / 128)
  }
  bytes.push(v)
  return bytes
}
const key = (field: number, wire: 0 | 2) => varint((field << 3) | wire)
const int = (field: number, value: number) => [...key(field, 0), ...varint(value)]
const bytes = (field: number, payload: ReadonlyArray<number>) => [...key(field, 2), ...varint(payload.length), ...payload]
const str = (field: number, text: string) => bytes(field, [...new TextEncoder().encode(text)])

/** ONNX element types used here. */
export const FLOAT = 1
export const INT64 = 7

/** A graph input or output: name, element type, dims (number = fixed, string = symbolic, absent = unknown). */
export interface TinyValue {
  readonly name: string
  readonly type: number
  readonly dims?: ReadonlyArray<number | string>
}

/** One node: `op` applied to `inputs`, writing `outputs`. */
export interface TinyNode {
  readonly op: string
  readonly inputs: ReadonlyArray<string>
  readonly outputs: ReadonlyArray<string>
}

const valueInfo = (value: TinyValue) => {
  const dims = value.dims?.flatMap((d) => bytes(1, typeof d === "number" ? int(1, d) : str(2, d)))
  const tensor = [...int(1, value.type), ...(dims === undefined ? [] : bytes(2, dims))]
  return [...str(1, value.name), ...bytes(2, bytes(1, tensor))]
}

/** Serialises a single-graph model (IR 8, default opset 17). */
export const tinyOnnxModel = (
  nodes: ReadonlyArray<TinyNode>,
  inputs: ReadonlyArray<TinyValue>,
  outputs: ReadonlyArray<TinyValue>
): Uint8Array => {
  const graph = [
    ...nodes.flatMap((node, i) =>
      bytes(1, [
        ...node.inputs.flatMap((name) => str(1, name)),
        ...node.outputs.flatMap((name) => str(2, name)),
        ...str(3, `node${i}`),
        ...str(4, node.op)
      ])
    ),
    ...str(2, "tiny"),
    ...inputs.flatMap((value) => bytes(11, valueInfo(value))),
    ...outputs.flatMap((value) => bytes(12, valueInfo(value)))
  ]
  return Uint8Array.from([...int(1, 8), ...bytes(8, [...str(1, ""), ...int(2, 17)]), ...bytes(7, graph)])
}
