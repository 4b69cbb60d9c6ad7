import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Exit } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { SdkError } from "../../src/SdkError.ts"
import {
  f16ToF32,
  f32ToF16,
  getFloatTensor,
  int64ToNumbers,
  parseSafetensors,
  readSafetensors,
  readSafetensorsFile,
  writeSafetensors,
  writeSafetensorsFile,
  writeSafetensorsSync
} from "../../src/Safetensors.ts"

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "robovla-safetensors-"))
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))

/** Builds a file byte by byte, exactly as the format specifies, without going through the writer. */
const handBuilt = (header: object, data: Uint8Array, headerLengthOverride?: number): Uint8Array => {
  const json = new TextEncoder().encode(JSON.stringify(header))
  const out = new Uint8Array(8 + json.length + data.length)
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLengthOverride ?? json.length), true)
  out.set(json, 8)
  out.set(data, 8 + json.length)
  return out
}

const expectCorrupt = (run: () => unknown, fragment: RegExp): SdkError => {
  let caught: unknown
  try {
    run()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(SdkError)
  const error = caught as SdkError
  expect(error.reason).toBe("CorruptFile")
  expect(error.message).toMatch(fragment)
  return error
}

describe("Safetensors", () => {
  it("round-trips every dtype, the metadata and the tensor order", async () => {
    const tensors = {
      "w.f32": { shape: [2, 3], data: Float32Array.from([0.5, -1.25, 3, 1e-7, -0, 65504]) },
      "w.f16": { dtype: "F16" as const, shape: [4], data: Float32Array.from([1, -2.5, 0.333251953125, 65504]) },
      "w.bf16": { dtype: "BF16" as const, shape: [2], data: Float32Array.from([1.5, -256]) },
      ids: { shape: [3], data: Int32Array.from([-7, 0, 2147483647]) },
      big: { shape: [2], data: BigInt64Array.from([-(2n ** 62n), 42n]) },
      bytes: { shape: [2, 2], data: Uint8Array.from([0, 1, 254, 255]) },
      mask: { dtype: "BOOL" as const, shape: [3], data: Uint8Array.from([1, 0, 1]) },
      empty: { shape: [0, 4], data: new Float32Array(0) }
    }
    const bytes = await Effect.runPromise(writeSafetensors(tensors, { format: "pt", step: "12" }))
    // header length is a multiple of 8 (padded with spaces)
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0)
    const file = await Effect.runPromise(readSafetensors(bytes))
    expect([...file.tensors.keys()]).toEqual(Object.keys(tensors))
    expect(file.metadata).toEqual({ format: "pt", step: "12" })
    expect(file.tensors.get("w.f32")).toEqual({ dtype: "F32", shape: [2, 3], data: tensors["w.f32"].data })
    expect(Array.from(file.tensors.get("w.f16")!.data as Float32Array)).toEqual([1, -2.5, 0.333251953125, 65504])
    expect(Array.from(file.tensors.get("w.bf16")!.data as Float32Array)).toEqual([1.5, -256])
    expect(file.tensors.get("ids")!.data).toEqual(Int32Array.from([-7, 0, 2147483647]))
    expect(file.tensors.get("big")!.data).toEqual(BigInt64Array.from([-(2n ** 62n), 42n]))
    expect(file.tensors.get("bytes")!.data).toEqual(Uint8Array.from([0, 1, 254, 255]))
    expect(file.tensors.get("mask")).toEqual({ dtype: "BOOL", shape: [3], data: Uint8Array.from([1, 0, 1]) })
    expect(file.tensors.get("empty")!.shape).toEqual([0, 4])
    // no tensor shares memory with the file buffer
    expect(file.tensors.get("w.f32")!.data.buffer).not.toBe(bytes.buffer)
  })

  it("reads a hand-built file (unaligned offsets, metadata) and matches the spec byte for byte", () => {
    // 3 bytes of U8 first so the F32 tensor that follows starts unaligned in the buffer
    const data = new Uint8Array(3 + 8 + 4)
    data.set([9, 8, 7], 0)
    const view = new DataView(data.buffer)
    view.setFloat32(3, 1.5, true)
    view.setFloat32(7, -2, true)
    view.setUint16(11, 0x3c00, true) // f16 1.0
    view.setUint16(13, 0xc000, true) // f16 -2.0
    const header = {
      __metadata__: { source: "hand" },
      b: { dtype: "F32", shape: [2], data_offsets: [3, 11] },
      a: { dtype: "U8", shape: [3], data_offsets: [0, 3] },
      c: { dtype: "F16", shape: [1, 2], data_offsets: [11, 15] }
    }
    const file = parseSafetensors(handBuilt(header, data))
    expect(file.metadata).toEqual({ source: "hand" })
    expect(Array.from(file.tensors.get("a")!.data as Uint8Array)).toEqual([9, 8, 7])
    expect(getFloatTensor(file, "b", [2])).toEqual({ data: Float32Array.from([1.5, -2]), shape: [2] })
    expect(getFloatTensor(file, "c").data).toEqual(Float32Array.from([1, -2]))

    // and our writer produces exactly this layout for the same tensors (header aside)
    const written = writeSafetensorsSync({ a: { shape: [3], data: Uint8Array.from([9, 8, 7]) } })
    const headerLength = Number(new DataView(written.buffer).getBigUint64(0, true))
    expect(JSON.parse(new TextDecoder().decode(written.subarray(8, 8 + headerLength)))).toEqual({
      a: { dtype: "U8", shape: [3], data_offsets: [0, 3] }
    })
    expect(Array.from(written.subarray(8 + headerLength))).toEqual([9, 8, 7])
  })

  it("converts half precision like IEEE 754 (rounding, subnormals, overflow)", () => {
    expect(f32ToF16(1)).toBe(0x3c00)
    expect(f32ToF16(-2)).toBe(0xc000)
    expect(f32ToF16(65504)).toBe(0x7bff)
    expect(f32ToF16(1e6)).toBe(0x7c00)
    expect(f32ToF16(2 ** -24)).toBe(0x0001)
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00) // tie rounds to even
    expect(f16ToF32(0x0001)).toBe(2 ** -24)
    expect(Number.isNaN(f16ToF32(f32ToF16(NaN)))).toBe(true)
    expect(f16ToF32(0xfc00)).toBe(-Infinity)
  })

  it("fails with CorruptFile on a header that is not JSON", () => {
    const bytes = handBuilt({}, new Uint8Array(0))
    bytes.set(new TextEncoder().encode("{x"), 8)
    expectCorrupt(() => parseSafetensors(bytes, "model.safetensors"), /model\.safetensors.*not valid UTF-8 JSON/)
  })

  it("fails with CorruptFile on a header with a bad field, naming the tensor and field", () => {
    const bytes = handBuilt({ w: { dtype: "F32", shape: [2, -1], data_offsets: [0, 8] } }, new Uint8Array(8))
    expectCorrupt(() => parseSafetensors(bytes), /tensor "w".*shape/s)
    const wrongSize = handBuilt({ w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8))
    expectCorrupt(() => parseSafetensors(wrongSize), /tensor "w" \(F32 \[3\]\) needs 12 bytes but data_offsets span 8/)
    const dtype = handBuilt({ w: { dtype: "F64", shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8))
    expectCorrupt(() => parseSafetensors(dtype), /unsupported dtype F64/)
    const metadata = handBuilt({ __metadata__: { step: 3 } }, new Uint8Array(0))
    expectCorrupt(() => parseSafetensors(metadata), /__metadata__/)
    const overlap = handBuilt(
      { a: { dtype: "U8", shape: [2], data_offsets: [0, 2] }, b: { dtype: "U8", shape: [2], data_offsets: [1, 3] } },
      new Uint8Array(3)
    )
    expectCorrupt(() => parseSafetensors(overlap), /gap or overlap/)
  })

  it("fails with CorruptFile on truncated files (header length, header, data)", async () => {
    const good = writeSafetensorsSync({ w: { shape: [4], data: Float32Array.from([1, 2, 3, 4]) } })
    expectCorrupt(() => parseSafetensors(good.subarray(0, 5)), /shorter than the 8-byte header length/)
    expectCorrupt(() => parseSafetensors(good.subarray(0, 20)), /header declares \d+ bytes but only 12 follow \(truncated\)/)
    expectCorrupt(() => parseSafetensors(good.subarray(0, good.length - 3)), /tensor "w" ends at data byte 16 but the file has only 13 data bytes \(truncated\)/)
    expectCorrupt(() => parseSafetensors(handBuilt({}, new Uint8Array(0), 2 ** 40)), /exceeds/)

    const file = path.join(tmp, "truncated.safetensors")
    fs.writeFileSync(file, good.subarray(0, good.length - 1))
    const exit = await Effect.runPromiseExit(readSafetensorsFile(file))
    expect(Exit.isFailure(exit)).toBe(true)
    const error = Exit.isFailure(exit) ? (exit.cause.reasons[0] as { error: SdkError }).error : undefined
    expect(error?.reason).toBe("CorruptFile")
    expect(error?.subject).toBe(file)
    expect(error?.message).toContain(file)
  })

  it("writes and reads files, atomically, and reports a missing file as WeightsNotFound", async () => {
    const file = path.join(tmp, "nested", "ckpt.safetensors")
    await Effect.runPromise(writeSafetensorsFile(file, { w: { shape: [1], data: [0.25] } }, { epoch: "1" }))
    expect(fs.readdirSync(path.dirname(file))).toEqual(["ckpt.safetensors"])
    const read = await Effect.runPromise(readSafetensors(file))
    const w = getFloatTensor(read, "w")
    expect(w.data[0]).toBe(0.25)
    // regression: small files come back in Node's shared Buffer pool; tensors must own their memory
    expect(w.data.byteOffset).toBe(0)
    expect(w.data.buffer.byteLength).toBe(w.data.byteLength)
    const missing = await Effect.runPromise(Effect.flip(readSafetensors(path.join(tmp, "nope.safetensors"))))
    expect(missing.reason).toBe("WeightsNotFound")
  })

  it("rejects data that does not fit its shape or dtype when writing", () => {
    expect(() => writeSafetensorsSync({ w: { shape: [3], data: [1, 2] } })).toThrow(/needs 3/)
    expect(() => writeSafetensorsSync({ w: { dtype: "I32", shape: [1], data: [1.5] } })).toThrow(/not an int32/)
    expect(() => writeSafetensorsSync({ w: { dtype: "BOOL", shape: [1], data: Uint8Array.from([2]) } })).toThrow(/out of range/)
  })

  it("converts I64 to numbers only where safe", () => {
    expect(Array.from(int64ToNumbers(BigInt64Array.from([1n, -3n])))).toEqual([1, -3])
    expect(() => int64ToNumbers(BigInt64Array.from([2n ** 60n]))).toThrow(/not a safe integer/)
  })
})
