/**
 * Launches Debian's Chromium through playwright-core with the flags a closed network needs.
 * `webgpu: true` adds `--enable-unsafe-webgpu` (a slow software adapter in headless mode).
 */
import { chromium, type Browser } from 'playwright-core'

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
