import * as fs from "node:fs"
import * as path from "node:path"
import { decodePng } from "@robovla/sim"
import { describe, expect, it } from "vitest"
import { drawText, glyph, GLYPH_HEIGHT, GLYPH_WIDTH, LINE_HEIGHT, textWidth } from "../../src/trainer/BitmapFont.ts"
import { lossPlotPng, type PlotSeries } from "../../src/trainer/Plot.ts"

const series: Array<PlotSeries> = [
  { name: "train (per step)", color: "#9ecae1", points: Array.from({ length: 50 }, (_, i) => [i * 20, 2 * Math.exp(-i / 10) + 0.1] as const), dashed: true },
  { name: "validation", color: "#d94801", points: [[0, 2.1], [500, 0.6], [980, 0.2]], markers: true }
]

// Pixels darker than the grid (221) and frame (136) greys inside a box: text is drawn in #222.
const darkPixels = (img: { data: Uint8Array; width: number }, x0: number, y0: number, x1: number, y1: number) => {
  let n = 0
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * img.width + x) * 3
      if (img.data[i]! < 100 && img.data[i + 1]! < 100 && img.data[i + 2]! < 100) n++
    }
  }
  return n
}

describe("lossPlotPng", () => {
  const W = 720
  const H = 300
  const labelled = decodePng(lossPlotPng([{ title: "loss", yLabel: "loss", series }, { title: "second panel", yLabel: "value", series }], W, H))
  const bare = decodePng(lossPlotPng([{ series }], W, H))
  const m = { l: 64, r: 16, t: 28, b: 40 }

  it("keeps the size: panels stacked", () => {
    expect([labelled.width, labelled.height]).toEqual([W, 2 * H])
    expect([bare.width, bare.height]).toEqual([W, H])
  })

  it("draws each panel's title above the plot area, and nothing there without one", () => {
    for (const top of [0, H]) expect(darkPixels(labelled, m.l, top + 4, W / 2, top + m.t - 2)).toBeGreaterThan(15)
    expect(darkPixels(bare, m.l, 4, W / 2, m.t - 2)).toBe(0)
  })

  it("draws y tick values left of the axis and x tick values under it", () => {
    for (const img of [labelled, bare]) {
      expect(darkPixels(img, 20, m.t - 4, m.l - 2, H - m.b + 4)).toBeGreaterThan(20)
      expect(darkPixels(img, m.l - 10, H - m.b + 4, W, H - m.b + 4 + LINE_HEIGHT)).toBeGreaterThan(20)
      // "optimiser step" centred under the x tick values.
      expect(darkPixels(img, W / 2 - 60, H - 6 - GLYPH_HEIGHT, W / 2 + 60, H - 4)).toBeGreaterThan(30)
    }
  })

  it("draws the y label in the left margin only when given", () => {
    expect(darkPixels(labelled, 0, m.t, 18, H - m.b)).toBeGreaterThan(10)
    expect(darkPixels(bare, 0, m.t, 18, H - m.b)).toBe(0)
  })

  it("draws a legend with each series' colour swatch inside the plot area", () => {
    for (const img of [labelled, bare]) {
      const colours = new Set<string>()
      // The curves leave the top right corner free here, so the legend is drawn there.
      for (let y = m.t + 1; y < m.t + 40; y++) {
        for (let x = W - m.r - 200; x < W - m.r; x++) {
          const i = (y * img.width + x) * 3
          colours.add(`${img.data[i]},${img.data[i + 1]},${img.data[i + 2]}`)
        }
      }
      expect(colours.has("158,202,225")).toBe(true)
      expect(colours.has("217,72,1")).toBe(true)
      expect(darkPixels(img, W - m.r - 200, m.t + 1, W - m.r, m.t + 40)).toBeGreaterThan(40)
    }
  })
})

describe("BitmapFont", () => {
  it("has a well-formed glyph for every printable ASCII character", () => {
    for (let c = 32; c <= 126; c++) {
      const rows = glyph(String.fromCharCode(c))
      expect(rows, String.fromCharCode(c)).toBeDefined()
      expect([GLYPH_HEIGHT, LINE_HEIGHT]).toContain(rows!.length)
      for (const r of rows!) expect(r).toMatch(new RegExp(`^[#.]{${GLYPH_WIDTH}}$`))
      if (c > 32) expect(rows!.join("")).toContain("#")
    }
  })

  it("has every glyph the plot labels of the trainer and the VL pretrainer use", () => {
    const sources = ["../../src/trainer/Trainer.ts", "../../src/vl/VlPretrainer.ts"].map((f) => fs.readFileSync(path.join(__dirname, f), "utf8"))
    const labels = sources.flatMap((s) => [...s.matchAll(/\b(?:title|yLabel|name): "([^"]*)"/g)].map((mm) => mm[1]!))
    expect(labels).toContain("validation arm MAE (normalised) and gripper accuracy")
    expect(labels).toContain("caption statement accuracy")
    // Tick values as String(number) prints them, and the x-axis label.
    labels.push("optimiser step", "-0.25", "1e-7", "2.5e+21", "0.0005", "100%", "a_b/c:d,e")
    for (const label of labels) for (const ch of label) expect(glyph(ch), `${JSON.stringify(ch)} in ${JSON.stringify(label)}`).toBeDefined()
  })

  it("draws text of the measured width, and vertical text rotated", () => {
    const ink: Array<[number, number]> = []
    drawText((x, y) => ink.push([x, y]), "HH", 10, 20)
    expect(Math.min(...ink.map((p) => p[0]))).toBe(10)
    expect(Math.max(...ink.map((p) => p[0]))).toBe(10 + textWidth("HH") - 1)
    expect(Math.min(...ink.map((p) => p[1]))).toBe(20)
    const up: Array<[number, number]> = []
    drawText((x, y) => up.push([x, y]), "HH", 10, 20, { vertical: true })
    expect(Math.max(...up.map((p) => p[1]))).toBe(20)
    expect(Math.min(...up.map((p) => p[1]))).toBe(20 - textWidth("HH") + 1)
    const big: Array<[number, number]> = []
    drawText((x, y) => big.push([x, y]), "HH", 0, 0, { scale: 2 })
    expect(big.length).toBe(4 * ink.length)
  })
})
