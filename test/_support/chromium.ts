/**
 * Launches Debian's Chromium through playwright-core with the flags a closed network needs.
 * `webgpu: true` adds `--enable-unsafe-webgpu` (a slow software adapter in headless mode).
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic'
]

export async function launchChromium (opts: { webgpu?: boolean } = {}): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...(opts.webgpu === true ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan'] : [])]
  })
}

/**
 * Opens `url` in a new page of `context` (a new context of `browser` when given a browser) with the
 * tests' deadline as playwright's default timeout (its 30 s default timed out `goto` at load average
 * 45 on 2 cores) and the page's uncaught errors on stderr under `name` (and into `errors`, from
 * the first script on).
 */
export async function openTab (target: Browser | BrowserContext, url: string, opts: { name: string, timeout: number, width?: number, height?: number, errors?: string[] }): Promise<Page> {
  const context = 'newContext' in target ? await target.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 } }) : target
  const page = await context.newPage()
  page.setDefaultTimeout(opts.timeout)
  page.on('pageerror', err => { console.error(`${opts.name}: ${err.message}`); opts.errors?.push(err.message) })
  // an uncaught value that is not an Error (an ErrorEvent, say) reaches 'pageerror' as its bare
  // type name: the page itself describes it, with where it came from, on the console
  // (a string, not a function: tsx would wrap the function's inner functions in its `__name` helper,
  // which the page does not have)
  await page.addInitScript(`(() => {
    const named = (t) => (t && t.constructor && t.constructor.name) || '?'
    const describe = (v) => {
      if (v instanceof ErrorEvent) return 'ErrorEvent "' + v.message + '" at ' + v.filename + ':' + v.lineno + ':' + v.colno + ' from ' + named(v.target) + (v.error instanceof Error ? ' (' + (v.error.stack || v.error.message) + ')' : '')
      if (v instanceof Event) return named(v) + ' "' + v.type + '" from ' + named(v.target)
      return v instanceof Error ? (v.stack || v.message) : String(v)
    }
    addEventListener('unhandledrejection', e => { if (!(e.reason instanceof Error)) console.error('[uncaught] rejection: ' + describe(e.reason)) })
    addEventListener('error', e => { if (!(e.error instanceof Error)) console.error('[uncaught] error: ' + describe(e.error != null ? e.error : e)) })
  })()`)
  page.on('console', m => { if (m.text().startsWith('[uncaught]')) console.error(`${opts.name}: ${m.text()}`) })
  await page.goto(url)
  return page
}
