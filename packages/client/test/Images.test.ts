import jpeg from "jpeg-js"
import { deflateSync } from "node:zlib"
import { describe, expect, it } from "vitest"
import { ClientError } from "../src/ClientError.ts"
import { decodePng, decodeWireImage, encodePng } from "../src/Images.ts"

const gradient = (h: number, w: number) => {
  const data = new Uint8Array(h * w * 3)
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i % 3) * 40) & 0xff
  return { data, height: h, width: w }
}

describe("Images", () => {
  it("round-trips PNG through our encoder and decoder", () => {
    const img = gradient(20, 33)
    const back = decodePng(encodePng(img), "img")
    expect(back.height).toBe(20)
    expect(back.width).toBe(33)
    expect([...back.data]).toEqual([...img.data])
  })

  it("decodes every PNG filter type and RGBA / gray colour types", () => {
    const h = 4, w = 5
    const rgba = new Uint8Array(h * w * 4).map((_, i) => (i * 13) & 0xff)
    // Build filtered scanlines by hand: row y uses filter y % 5.
    const raw: Array<number> = []
    const bpp = 4, stride = w * bpp
    for (let y = 0; y < h; y++) {
      const filter = y % 5
      raw.push(filter)
      for (let x = 0; x < stride; x++) {
        const v = rgba[y * stride + x]!
        const a = x >= bpp ? rgba[y * stride + x - bpp]! : 0
        const b = y > 0 ? rgba[(y - 1) * stride + x]! : 0
        const c = x >= bpp && y > 0 ? rgba[(y - 1) * stride + x - bpp]! : 0
        const p = a + b - c
        const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c
        const pred = [0, a, b, (a + b) >> 1, paeth][filter]!
        raw.push((v - pred) & 0xff)
      }
    }
    const png = pngFile(w, h, 6, Buffer.from(raw))
    const img = decodePng(png, "img")
    for (let i = 0; i < h * w; i++) expect([...img.data.subarray(i * 3, i * 3 + 3)]).toEqual([...rgba.subarray(i * 4, i * 4 + 3)])
  })

  it("decodes JPEG with jpeg-js (lossy, so within a tolerance)", () => {
    const img = gradient(16, 16)
    const rgba = new Uint8Array(16 * 16 * 4)
    for (let i = 0; i < 256; i++) rgba.set([128, 64, 32, 255], i * 4)
    const file = jpeg.encode({ data: rgba, width: 16, height: 16 }, 95)
    const back = decodeWireImage({ data: Buffer.from(file.data).toString("base64"), encoding: "jpeg" }, "img")
    expect(back.height).toBe(16)
    expect(Math.abs(back.data[0]! - 128)).toBeLessThan(6)
    expect(img.data.length).toBe(768)
  })

  it("checks raw sizes, base64 and declared dimensions, naming the field", () => {
    const bad = (f: () => unknown, field: string) => {
      try {
        f()
        throw new Error("no error")
      } catch (e) {
        expect(e).toBeInstanceOf(ClientError)
        expect((e as ClientError).reason).toBe("InvalidImage")
        expect((e as ClientError).field).toBe(field)
      }
    }
    bad(() => decodeWireImage({ data: "AAAA", height: 2, width: 2 }, "obs.rgb"), "obs.rgb.data")
    bad(() => decodeWireImage({ data: "!!!!" }, "obs.rgb"), "obs.rgb.data")
    bad(() => decodeWireImage({ data: "AAAA" }, "obs.rgb"), "obs.rgb")
    bad(() => decodeWireImage({ data: Buffer.from("not a png").toString("base64").padEnd(16, "="), encoding: "png" }, "x"), "x.data")
    bad(() => decodeWireImage({ data: Buffer.from(encodePng(gradient(2, 2))).toString("base64"), encoding: "png", height: 3 }, "x"), "x")
    bad(() => decodeWireImage({ data: Buffer.from([0xff, 0xd8, 0xff, 0, 1, 2, 3, 4]).toString("base64"), encoding: "jpeg" }, "x"), "x.data")
  })

  it("refuses a PNG bomb (huge declared size) without inflating it", () => {
    const png = pngFile(100_000, 100_000, 2, Buffer.alloc(10))
    expect(() => decodePng(png, "x")).toThrow(/1\.\.1024/)
  })

  it("refuses image data that inflates past what the header declares (a small file, a huge output)", () => {
    const png = pngFile(4, 4, 2, Buffer.alloc(4_000_000))
    expect(png.length).toBeLessThan(100_000)
    expect(() => decodePng(png, "x")).toThrow(/more of it than the header declares/)
  })

  it("decodes 16-bit and palette PNGs to 8-bit RGB", () => {
    const h = 2, w = 3
    const rgb16 = Buffer.alloc((w * 6 + 1) * h)
    for (let y = 0; y < h; y++) for (let x = 0; x < w * 3; x++) rgb16.writeUInt16BE(((y * 31 + x * 17) & 0xff) * 257, y * (w * 6 + 1) + 1 + x * 2)
    const sixteen = decodePng(pngFile(w, h, 2, rgb16, 16), "img")
    expect([...sixteen.data]).toEqual(Array.from({ length: h * w * 3 }, (_, i) => (Math.floor(i / (w * 3)) * 31 + (i % (w * 3)) * 17) & 0xff))
    const indices = Buffer.from([0, 0, 1, 2, 0, 2, 1, 0])
    const palette = Buffer.from([10, 20, 30, 40, 50, 60, 70, 80, 90])
    const indexed = decodePng(pngFile(3, 2, 3, indices, 8, palette), "img")
    expect([...indexed.data]).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 70, 80, 90, 40, 50, 60, 10, 20, 30])
  })

  it("names the field of a file that is not a PNG at all", () => {
    expect(() => decodePng(new Uint8Array([1, 2, 3]), "obs.rgb")).toThrow(ClientError)
  })
})

function pngFile(w: number, h: number, colorType: number, raw: Buffer, depth = 8, palette?: Buffer): Uint8Array {
  const chunk = (type: string, body: Buffer) => {
    const out = Buffer.alloc(12 + body.length)
    out.writeUInt32BE(body.length, 0)
    out.write(type, 4, "latin1")
    body.copy(out, 8)
    return out // CRCs left zero: the decoder does not check them
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(w, 0)
  ihdr.writeUInt32BE(h, 4)
  ihdr[8] = depth
  ihdr[9] = colorType
  const plte = palette === undefined ? [] : [chunk("PLTE", palette)]
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), ...plte, chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))])
}
