/**
 * The Mandelbrot demo of the Jobs panel: one image split into tiles, each tile one task of the
 * clang-built `examples/jobs/mandelbrot.c` (WASI, built by scripts/build.mjs), and the painting of
 * each tile as its result commits, tinted by the colour of the peer that computed it. The tile
 * grid and the PGM parser are pure (tested without a DOM); painting takes a 2D context.
 */

/** The demo image and its tiles: 8 × 6 tiles of 40 × 40 pixels. */
export const DEMO = Object.freeze({ width: 320, height: 240, tileW: 40, tileH: 40, maxIter: 400 })

export interface Tile { x: number, y: number, w: number, h: number }

export function demoTiles (): Tile[] {
  const tiles: Tile[] = []
  for (let y = 0; y < DEMO.height; y += DEMO.tileH) {
    for (let x = 0; x < DEMO.width; x += DEMO.tileW) tiles.push({ x, y, w: DEMO.tileW, h: DEMO.tileH })
  }
  return tiles
}

/** The module's args for one tile: `W H X Y TW TH MAX_ITER` (a binary PGM on stdout). */
export const tileArgs = (t: Tile): string[] => [DEMO.width, DEMO.height, t.x, t.y, t.w, t.h, DEMO.maxIter].map(String)

/** The pixels of a binary PGM (`P5\nW H\n255\n` + W·H bytes), or undefined when it is not one. */
export function parsePgm (bytes: Uint8Array): { w: number, h: number, pixels: Uint8Array } | undefined {
  const head = new TextDecoder().decode(bytes.subarray(0, 32))
  const m = /^P5\n(\d+) (\d+)\n255\n/.exec(head)
  if (m == null) return undefined
  const w = Number(m[1])
  const h = Number(m[2])
  const start = m[0].length
  if (w <= 0 || h <= 0 || bytes.length !== start + w * h) return undefined
  return { w, h, pixels: bytes.subarray(start) }
}

/** A stable colour per peer (hue from an FNV-1a hash of its id). */
export function peerColour (peerId: string): [number, number, number] {
  let x = 0x811c9dc5
  for (let i = 0; i < peerId.length; i++) x = Math.imul(x ^ peerId.charCodeAt(i), 0x01000193) >>> 0
  const hue = (x % 360) / 60
  const c = 200
  const k = c * (1 - Math.abs((hue % 2) - 1))
  const [r, g, b] = hue < 1 ? [c, k, 0] : hue < 2 ? [k, c, 0] : hue < 3 ? [0, c, k] : hue < 4 ? [0, k, c] : hue < 5 ? [k, 0, c] : [c, 0, k]
  return [r + 40, g + 40, b + 40]
}

/** Paints a tile: its grey levels tinted by the peer's colour. */
export function paintTile (ctx: CanvasRenderingContext2D, tile: Tile, pgm: { w: number, h: number, pixels: Uint8Array }, colour: [number, number, number]): void {
  const img = ctx.createImageData(pgm.w, pgm.h)
  for (let i = 0; i < pgm.pixels.length; i++) {
    const v = pgm.pixels[i] / 255
    img.data[i * 4] = Math.round(colour[0] * (0.25 + 0.75 * v))
    img.data[i * 4 + 1] = Math.round(colour[1] * (0.25 + 0.75 * v))
    img.data[i * 4 + 2] = Math.round(colour[2] * (0.25 + 0.75 * v))
    img.data[i * 4 + 3] = 255
  }
  ctx.putImageData(img, tile.x, tile.y)
}
