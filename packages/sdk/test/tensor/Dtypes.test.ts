import { describe, expect, it } from "vitest"
import { DTYPES, dtypeBy, dtypeOfArray } from "../../src/Tensor.ts"

describe("the dtype table", () => {
  it("names each element type in numpy and safetensors spelling, with a typed array of its width", () => {
    expect(dtypeBy("numpy", "<f4")).toBe("float32")
    expect(dtypeBy("safetensors", "I64")).toBe("int64")
    expect(dtypeBy("numpy", ">f4")).toBeUndefined()
    for (const entry of Object.values(DTYPES)) expect(entry.array.BYTES_PER_ELEMENT).toBe(entry.bytes)
  })

  it("maps a typed array to its plain element type (Uint8Array is uint8, not bool; Uint16Array is uint16)", () => {
    expect(dtypeOfArray(new Float32Array(1))).toBe("float32")
    expect(dtypeOfArray(new Uint8Array(1))).toBe("uint8")
    expect(dtypeOfArray(Buffer.from([1]))).toBe("uint8")
    expect(dtypeOfArray(new Uint16Array(1))).toBe("uint16")
    expect(dtypeOfArray(new BigUint64Array(1))).toBe("uint64")
    expect(dtypeOfArray([1, 2])).toBeUndefined()
  })
})
