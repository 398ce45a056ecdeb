/**
 * A small canvas chart for the learning panel: held-out accuracy (0–100 %, left axis) and loss
 * (right axis, auto-scaled) per round, with bytes sent per round as bars along the bottom.
 * Hand-written (about 80 lines) because the page has no charting dependency and needs only this.
 */
export interface ChartPoint { round: number, accuracy: number, loss: number, bytes: number }

export function drawChart (canvas: HTMLCanvasElement, points: ChartPoint[], rounds: number): void {
  const dpr = globalThis.devicePixelRatio ?? 1
  const w = canvas.clientWidth || 560
  const h = canvas.clientHeight || 240
  canvas.width = Math.round(w * dpr)
  canvas.height = Math.round(h * dpr)
  const g = canvas.getContext('2d')
  if (g == null) return
  g.scale(dpr, dpr)
  g.clearRect(0, 0, w, h)
  const pad = { l: 44, r: 48, t: 12, b: 26 }
  const pw = w - pad.l - pad.r
  const ph = h - pad.t - pad.b
  const x = (r: number): number => pad.l + (rounds <= 1 ? pw / 2 : ((r - 1) / (rounds - 1)) * pw)
  g.font = '11px system-ui, sans-serif'
  g.strokeStyle = '#e2e6ee'
  g.fillStyle = '#5d6677'
  g.lineWidth = 1
  for (let k = 0; k <= 4; k++) {
    const yy = pad.t + ph - (k / 4) * ph
    g.beginPath(); g.moveTo(pad.l, yy); g.lineTo(pad.l + pw, yy); g.stroke()
    g.textAlign = 'right'; g.fillText(`${k * 25}%`, pad.l - 6, yy + 4)
  }
  g.textAlign = 'center'
  for (let r = 1; r <= rounds; r += Math.max(1, Math.ceil(rounds / 10))) g.fillText(String(r), x(r), h - 8)
  const maxBytes = Math.max(1, ...points.map(p => p.bytes))
  g.fillStyle = 'rgba(53, 87, 214, 0.15)'
  const bw = Math.min(24, Math.max(2, pw / Math.max(1, rounds) * 0.6))
  for (const p of points) {
    const bh = (p.bytes / maxBytes) * ph * 0.25
    g.fillRect(x(p.round) - bw / 2, pad.t + ph - bh, bw, bh)
  }
  const maxLoss = Math.max(0.5, ...points.map(p => p.loss))
  const line = (color: string, yOf: (p: ChartPoint) => number): void => {
    g.strokeStyle = color; g.fillStyle = color; g.lineWidth = 2
    g.beginPath()
    points.forEach((p, i) => { if (i === 0) g.moveTo(x(p.round), yOf(p)); else g.lineTo(x(p.round), yOf(p)) })
    g.stroke()
    for (const p of points) { g.beginPath(); g.arc(x(p.round), yOf(p), 2.5, 0, Math.PI * 2); g.fill() }
  }
  line('#1f9d55', p => pad.t + ph - p.accuracy * ph)
  line('#c8372d', p => pad.t + ph - (p.loss / maxLoss) * ph)
  g.fillStyle = '#c8372d'; g.textAlign = 'left'
  for (let k = 0; k <= 4; k++) g.fillText((maxLoss * k / 4).toFixed(2), pad.l + pw + 6, pad.t + ph - (k / 4) * ph + 4)
  g.fillStyle = '#5d6677'; g.textAlign = 'left'
  g.fillText('round', 4, h - 8)
}
