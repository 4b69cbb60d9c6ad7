/**
 * A 5×7 bitmap font for captions on rollout videos (lower-case letters, digits and a little punctuation;
 * upper case is drawn with the lower-case glyphs). Rows are strings of '#' (ink) and '.' (background).
 *
 * @since 0.1.0
 */
const G: Record<string, string> = {
  a: "...........###.....#.#####...#.####",
  b: "#....#....####.#...##...##...#####.",
  c: "...........#####....#....#.....####",
  d: "....#....#.#####...##...##...#.####",
  e: "...........###.#...#######.....###.",
  f: "..##..#...####..#....#....#....#...",
  g: "......#####...##...#.####....#.###.",
  h: "#....#....####.#...##...##...##...#",
  i: "..#........##....#....#....#...###.",
  j: "...#........##....#....#.#..#..##..",
  k: "#....#....#..#.#.#..##...#.#..#..#.",
  l: ".##....#....#....#....#....#...###.",
  m: "..........##.#.#.#.##.#.##.#.##...#",
  n: "..........####.#...##...##...##...#",
  o: "...........###.#...##...##...#.###.",
  p: ".....####.#...##...#####.#....#....",
  q: "......#####...##...#.####....#....#",
  r: "..........#.##.##..##....#....#....",
  s: "...........#####.....###.....#####.",
  t: ".#....#...####..#....#....#..#..##.",
  u: "..........#...##...##...##..##.##.#",
  v: "..........#...##...##...#.#.#...#..",
  w: "..........#...##...##.#.##.#.#.#.#.",
  x: "..........#...#.#.#...#...#.#.#...#",
  y: ".....#...##...##...#.####....#.###.",
  z: "..........#####...#...#...#...#####",
  "0": ".###.#...##..###.#.###..##...#.###.",
  "1": "..#...##....#....#....#....#...###.",
  "2": ".###.#...#....#...#...#...#...#####",
  "3": "#####...#...#.....#.....##...#.###.",
  "4": "...#...##..#.#.#..#.#####...#....#.",
  "5": "######....####.....#....##...#.###.",
  "6": "..##..#...#....####.#...##...#.###.",
  "7": "#####....#...#...#...#....#....#...",
  "8": ".###.#...##...#.###.#...##...#.###.",
  "9": ".###.#...##...#.####....#...#..##..",
  ".": "..........................##...##..",
  ",": ".....................##....#...#...",
  "-": "...............#####...............",
  "/": ".........#...#...#...#...#.........",
  ":": "......##...##........##...##.......",
  "'": "..#....#...#......................."
}

const WIDTH = 5
const HEIGHT = 7

const glyph = (ch: string): string | undefined => {
  const g = G[ch.toLowerCase()]
  if (g === undefined) return undefined
  return g
}

/**
 * Draws `text` into an RGB image at (x, y) with integer `scale`, clipping at the edges; returns the advance.
 *
 * @since 0.1.0
 * @category drawing
 */
export const drawText = (
  rgb: Uint8Array,
  width: number,
  height: number,
  text: string,
  x: number,
  y: number,
  color: readonly [number, number, number],
  scale = 1
): number => {
  let cx = x
  for (const ch of text) {
    const g = glyph(ch)
    if (g !== undefined) {
      for (let r = 0; r < HEIGHT; r++) {
        for (let c = 0; c < WIDTH; c++) {
          if (g[r * WIDTH + c] !== "#") continue
          for (let sy = 0; sy < scale; sy++) {
            for (let sx = 0; sx < scale; sx++) {
              const px = cx + c * scale + sx
              const py = y + r * scale + sy
              if (px < 0 || py < 0 || px >= width || py >= height) continue
              const o = (py * width + px) * 3
              rgb[o] = color[0]
              rgb[o + 1] = color[1]
              rgb[o + 2] = color[2]
            }
          }
        }
      }
    }
    cx += (WIDTH + 1) * scale
  }
  return cx - x
}

/** Pixel width of `text` at `scale`. @since 0.1.0 @category drawing */
export const textWidth = (text: string, scale = 1): number => [...text].length * (WIDTH + 1) * scale

/** Splits text into lines that fit `maxWidth` pixels. @since 0.1.0 @category drawing */
export const wrapText = (text: string, maxWidth: number, scale = 1): Array<string> => {
  const lines: Array<string> = []
  let line = ""
  for (const word of text.split(/\s+/)) {
    const candidate = line === "" ? word : `${line} ${word}`
    if (textWidth(candidate, scale) <= maxWidth || line === "") line = candidate
    else {
      lines.push(line)
      line = word
    }
  }
  if (line !== "") lines.push(line)
  return lines
}
