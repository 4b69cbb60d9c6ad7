/**
 * The end-of-run loss plot: `loss.html` (inline SVG, labelled axes, train loss raw + smoothed, validation loss
 * and arm MAE per evaluation, gripper accuracy on a second panel) and `loss.png`, the same panels rasterised into
 * an RGB buffer for a quick look in an image viewer (and the model card), text included: panel titles, tick values,
 * axis labels and a legend, drawn with the built-in bitmap font of `BitmapFont.ts`.
 *
 * @since 0.1.0
 */
import { encodePng } from "@robovla/sim"
import { drawText, GLYPH_HEIGHT, LINE_HEIGHT, textWidth } from "./BitmapFont.ts"

/** @since 0.1.0 @category models */
export interface PlotSeries {
  readonly name: string
  readonly color: string
  readonly points: ReadonlyArray<readonly [number, number]>
  readonly dashed?: boolean
  readonly markers?: boolean
}

const niceTicks = (lo: number, hi: number, count = 5): Array<number> => {
  if (!(hi > lo)) return [lo]
  const step0 = (hi - lo) / count
  const mag = 10 ** Math.floor(Math.log10(step0))
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0)!
  const out: Array<number> = []
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(Number(v.toPrecision(6)))
  return out
}

const bounds = (series: ReadonlyArray<PlotSeries>) => {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]))
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite)
  const x0 = Math.min(0, ...xs)
  const x1 = Math.max(1, ...xs)
  let y0 = Math.min(...ys)
  let y1 = Math.max(...ys)
  if (!Number.isFinite(y0)) [y0, y1] = [0, 1]
  if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 0.5, y1 + 0.5]
  const pad = (y1 - y0) * 0.05
  return { x0, x1, y0: Math.max(y0 >= 0 ? 0 : -Infinity, y0 - pad), y1: y1 + pad }
}

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;")

/**
 * One SVG panel.
 *
 * @since 0.1.0
 * @category rendering
 */
export const svgPanel = (title: string, yLabel: string, series: ReadonlyArray<PlotSeries>, width = 720, height = 300): string => {
  const m = { l: 64, r: 16, t: 28, b: 40 }
  const { x0, x1, y0, y1 } = bounds(series)
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (width - m.l - m.r)
  const sy = (y: number) => height - m.b - ((y - y0) / (y1 - y0)) * (height - m.t - m.b)
  const parts: Array<string> = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`]
  parts.push(`<text x="${m.l}" y="18" font-weight="bold">${escape(title)}</text>`)
  for (const t of niceTicks(y0, y1)) parts.push(`<line x1="${m.l}" x2="${width - m.r}" y1="${sy(t)}" y2="${sy(t)}" stroke="#ddd"/><text x="${m.l - 6}" y="${sy(t) + 4}" text-anchor="end">${t}</text>`)
  for (const t of niceTicks(x0, x1, 8)) parts.push(`<line y1="${m.t}" y2="${height - m.b}" x1="${sx(t)}" x2="${sx(t)}" stroke="#eee"/><text x="${sx(t)}" y="${height - m.b + 16}" text-anchor="middle">${t}</text>`)
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${width - m.l - m.r}" height="${height - m.t - m.b}" fill="none" stroke="#888"/>`)
  parts.push(`<text x="${(m.l + width - m.r) / 2}" y="${height - 6}" text-anchor="middle">optimiser step</text>`)
  parts.push(`<text transform="translate(14 ${(m.t + height - m.b) / 2}) rotate(-90)" text-anchor="middle">${escape(yLabel)}</text>`)
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p[1]))
    if (pts.length > 0) {
      parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="${s.dashed ? 1 : 2}"${s.dashed ? ` stroke-dasharray="4 3"` : ""} points="${pts.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" ")}"/>`)
      if (s.markers) for (const p of pts) parts.push(`<circle cx="${sx(p[0]).toFixed(1)}" cy="${sy(p[1]).toFixed(1)}" r="3" fill="${s.color}"/>`)
    }
    const lx = width - m.r - 180
    const ly = m.t + 14 + i * 16
    parts.push(`<line x1="${lx}" x2="${lx + 20}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"/><text x="${lx + 26}" y="${ly}">${escape(s.name)}</text>`)
  })
  parts.push("</svg>")
  return parts.join("")
}

/**
 * The whole HTML page.
 *
 * @since 0.1.0
 * @category rendering
 */
export const lossPlotHtml = (title: string, panels: ReadonlyArray<{ readonly title: string; readonly yLabel: string; readonly series: ReadonlyArray<PlotSeries> }>, footer: string): string =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title></head><body style="font-family:sans-serif">` +
  `<h2>${escape(title)}</h2>${panels.map((p) => `<div>${svgPanel(p.title, p.yLabel, p.series)}</div>`).join("")}<pre>${escape(footer)}</pre></body></html>\n`

const hexColor = (c: string): [number, number, number] => {
  const h = c.replace("#", "")
  return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)]
}

/** A panel of the PNG plot; `title` and `yLabel` are drawn when given (as in {@link svgPanel}). @since 0.1.0 @category models */
export interface PngPanel {
  readonly title?: string
  readonly yLabel?: string
  readonly series: ReadonlyArray<PlotSeries>
}

type Rgb = readonly [number, number, number]

/**
 * The panels stacked into one PNG: per panel the curves, grid and frame, and the text of {@link svgPanel} in a
 * 5×7 bitmap font: the title (top left), y tick values left of the axis, x tick values under it, "optimiser step"
 * under those, the y label rotated in the left margin, and a legend (swatch + series name) at the top right on a
 * white box over the curves.
 *
 * @since 0.1.0
 * @category rendering
 */
export const lossPlotPng = (panels: ReadonlyArray<PngPanel>, width = 720, height = 300): Uint8Array => {
  const H = height * panels.length
  const rgb = new Uint8Array(width * H * 3).fill(255)
  const put = (x: number, y: number, c: Rgb) => {
    const xi = Math.round(x)
    const yi = Math.round(y)
    if (xi < 0 || yi < 0 || xi >= width || yi >= H) return
    rgb.set(c, (yi * width + xi) * 3)
  }
  const line = (xa: number, ya: number, xb: number, yb: number, c: Rgb, thick = 1, dash?: readonly [number, number]) => {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(xb - xa), Math.abs(yb - ya))))
    for (let i = 0; i <= steps; i++) {
      if (dash !== undefined && i % (dash[0] + dash[1]) >= dash[0]) continue
      const x = xa + ((xb - xa) * i) / steps
      const y = ya + ((yb - ya) * i) / steps
      for (let dx = 0; dx < thick; dx++) for (let dy = 0; dy < thick; dy++) put(x + dx, y + dy, c)
    }
  }
  const fill = (xa: number, ya: number, xb: number, yb: number, c: Rgb) => {
    for (let y = ya; y <= yb; y++) for (let x = xa; x <= xb; x++) put(x, y, c)
  }
  const ink: Rgb = [34, 34, 34]
  const text = (s: string, x: number, y: number, c: Rgb = ink, vertical = false) => drawText((px, py) => put(px, py, c), s, x, y, { vertical })
  // Cut a string to `max` pixels with a trailing "..." (the font is fixed-width).
  const fit = (s: string, max: number) => {
    if (textWidth(s) <= max) return s
    let t = s
    while (t.length > 0 && textWidth(`${t}...`) > max) t = t.slice(0, -1)
    return `${t}...`
  }
  panels.forEach((panel, k) => {
    const m = { l: 64, r: 16, t: 28, b: 40 }
    const top = k * height
    const { x0, x1, y0, y1 } = bounds(panel.series)
    const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (width - m.l - m.r)
    const sy = (y: number) => top + height - m.b - ((y - y0) / (y1 - y0)) * (height - m.t - m.b)
    const yTicks = niceTicks(y0, y1)
    const xTicks = niceTicks(x0, x1, 8)
    for (const t of yTicks) line(m.l, sy(t), width - m.r, sy(t), [221, 221, 221])
    for (const t of xTicks) line(sx(t), top + m.t, sx(t), top + height - m.b, [238, 238, 238])
    const frame: Rgb = [136, 136, 136]
    line(m.l, top + m.t, width - m.r, top + m.t, frame)
    line(m.l, top + height - m.b, width - m.r, top + height - m.b, frame)
    line(m.l, top + m.t, m.l, top + height - m.b, frame)
    line(width - m.r, top + m.t, width - m.r, top + height - m.b, frame)
    for (const s of panel.series) {
      const c = hexColor(s.color)
      const pts = s.points.filter((p) => Number.isFinite(p[1]))
      for (let i = 1; i < pts.length; i++) line(sx(pts[i - 1]![0]), sy(pts[i - 1]![1]), sx(pts[i]![0]), sy(pts[i]![1]), c, s.dashed ? 1 : 2)
      if (s.markers) for (const p of pts) for (let dx = -2; dx <= 2; dx++) for (let dy = -2; dy <= 2; dy++) put(sx(p[0]) + dx, sy(p[1]) + dy, c)
    }
    // Text, as in svgPanel: the title's baseline at y 18, tick values 6 px left of / under the axes.
    if (panel.title !== undefined) text(fit(panel.title, width - m.l - m.r), m.l, top + 18 - GLYPH_HEIGHT)
    for (const t of yTicks) {
      const label = String(t)
      text(label, m.l - 6 - textWidth(label), sy(t) - Math.floor(GLYPH_HEIGHT / 2))
    }
    xTicks.forEach((t, i) => {
      const label = String(t)
      const w = textWidth(label)
      // Keep the first and last labels inside the image.
      const x = Math.min(width - 1 - w, Math.max(0, sx(t) - w / 2))
      if (i > 0 && x < sx(xTicks[i - 1]!) + textWidth(String(xTicks[i - 1]!)) / 2 + 4) return
      text(label, x, top + height - m.b + 6)
    })
    const xLabel = "optimiser step"
    text(xLabel, (m.l + width - m.r) / 2 - textWidth(xLabel) / 2, top + height - 6 - GLYPH_HEIGHT)
    if (panel.yLabel !== undefined) {
      const yLabel = fit(panel.yLabel, height - m.t - m.b)
      text(yLabel, 14 - GLYPH_HEIGHT, top + (m.t + height - m.b) / 2 + textWidth(yLabel) / 2, ink, true)
    }
    // Legend: a white box in a corner of the plot area (top right, as in svgPanel, unless another corner hides
    // fewer curve pixels), one row per series (swatch in the series' style).
    if (panel.series.length > 0) {
      const row = LINE_HEIGHT + 4
      const names = panel.series.map((s) => fit(s.name, width - m.l - m.r - 48))
      const w = 26 + Math.max(...names.map((n) => textWidth(n))) + 12
      const h = 6 + row * panel.series.length
      const curveInk = (xa: number, ya: number) => {
        let n = 0
        for (let y = ya; y <= ya + h; y++) {
          for (let x = xa; x <= xa + w; x++) {
            const i = (y * width + x) * 3
            const [r, g, b] = [rgb[i]!, rgb[i + 1]!, rgb[i + 2]!]
            if (!(r === g && g === b && r >= 221)) n++
          }
        }
        return n
      }
      const left = m.l + 6
      const right = width - m.r - 6 - w
      const upper = top + m.t + 6
      const lower = top + height - m.b - 6 - h
      const corners = [[right, upper], [left, upper], [right, lower], [left, lower]] as const
      const [bx0, by0] = lower < upper || right < left ? corners[0] : corners.map((c) => [c, curveInk(c[0], c[1])] as const).reduce((a, b) => (b[1] < a[1] ? b : a))[0]
      const bx1 = bx0 + w
      const by1 = by0 + h
      fill(bx0, by0, bx1, by1, [255, 255, 255])
      line(bx0, by0, bx1, by0, [204, 204, 204])
      line(bx0, by1, bx1, by1, [204, 204, 204])
      line(bx0, by0, bx0, by1, [204, 204, 204])
      line(bx1, by0, bx1, by1, [204, 204, 204])
      panel.series.forEach((s, i) => {
        const c = hexColor(s.color)
        const ty = by0 + 6 + i * row
        const cy = ty + Math.floor(GLYPH_HEIGHT / 2)
        const lx = bx0 + 6
        if (s.dashed) line(lx, cy, lx + 20, cy, c, 1, [4, 3])
        else line(lx, cy - 1, lx + 20, cy - 1, c, 2)
        if (s.markers) fill(lx + 8, cy - 2, lx + 12, cy + 2, c)
        text(names[i]!, lx + 26, ty)
      })
    }
  })
  return encodePng(rgb, width, H)
}
