/**
 * A real browser for the dashboard's tests: Debian's `chromium`, headless,
 * driven by `puppeteer-core`, with a fresh profile and everything that would
 * reach outside the machine turned off. `.ci/run` installs chromium when it
 * is missing and sets `LLAMA_PACK_BROWSER=required` (a missing browser then
 * fails the tests) or, where none can be installed, `skip: why`; elsewhere
 * the browser tests skip with one line when no browser is found (set
 * `CHROME_PATH` to use another).
 *
 * @module
 */

import puppeteer, { type Browser, type Page } from "puppeteer-core";

/** Where a Chromium is, or `undefined`. */
export function chromiumPath(): string | undefined {
  const candidates = [
    Deno.env.get("CHROME_PATH"),
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
  ];
  for (const c of candidates) {
    if (!c) continue;
    try {
      if (Deno.statSync(c).isFile) return c;
    } catch {
      // not there
    }
  }
  return undefined;
}

/** A launched browser and the profile dir it uses. */
export interface TestBrowser {
  /** The browser. */
  browser: Browser;
  /** A new page at the given viewport, in a window of its own (never hidden). */
  page(width?: number, height?: number): Promise<Page>;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/**
 * Launches headless Chromium with a fresh profile.
 *
 * @returns The browser.
 * @throws {Error} When no Chromium is found.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const executablePath = chromiumPath();
  if (!executablePath) {
    throw new Error(
      "no chromium found (apt-get install chromium, or set CHROME_PATH); .ci/run installs it",
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "llama-pack-chromium-" });
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    // A page that stops answering fails its step in 30 s, not puppeteer's 180.
    protocolTimeout: 30_000,
    userDataDir: profile,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-default-apps",
      "--disable-extensions",
      "--no-first-run",
      "--no-default-browser-check",
      "--hide-scrollbars",
      "--font-render-hinting=none",
    ],
  });
  return {
    browser,
    page: async (width = 1280, height = 800) => {
      // Each page in its own context, hence its own window: tabs of one
      // window are hidden behind the front one, and a hidden page gets no
      // animation frames (preact's effects wait for one) and slow timers.
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      page.once("close", () => void context.close().catch(() => {}));
      await page.setViewport({ width, height });
      return page;
    },
    close: async () => {
      await browser.close().catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * Waits until `fn` (run in the page, with `args`) returns a truthy value;
 * on timeout the error shows what the page says.
 *
 * @param page The page.
 * @param what What is awaited, for the failure message.
 * @param fn A function run in the page (it sees no variables of the test).
 * @param args Its arguments.
 */
export async function waitInPage<A extends (string | number)[]>(
  page: Page,
  what: string,
  fn: (...args: A) => unknown,
  ...args: A
): Promise<void> {
  try {
    await page.waitForFunction(fn as (...a: unknown[]) => unknown, {
      timeout: 20_000,
      polling: 50,
    }, ...args);
  } catch (err) {
    const text = await page.evaluate(() => document.body.innerText).catch(() => "");
    throw new Error(`timed out waiting for ${what}; the page shows:\n${text.slice(0, 3000)}`, {
      cause: err,
    });
  }
}
