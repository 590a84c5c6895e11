/// <reference lib="dom" />
/**
 * `deno task screenshots`: photographs the dashboard for the README at
 * 1280×800 and 390 px wide (`docs/dashboard-wide.png`,
 * `docs/dashboard-narrow.png`) in the test world (`tests/dashboard_world.ts`:
 * the real `--serve`, the fake llama-server, sparse GGUF models), with one
 * model loaded; and prints the page's weight and how long it took to show
 * every model.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchBrowser, waitInPage } from "../tests/browser.ts";
import { dashboardWorld } from "../tests/dashboard_world.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "docs");

/** What loading the page cost. */
export interface PageFigures {
  /** Requests made until every model showed. */
  requests: number;
  /** Bytes on the wire (compressed when the browser asked for it). */
  transferBytes: number;
  /** Bytes of the files once decoded. */
  decodedBytes: number;
  /** Milliseconds from navigation to every model row shown. */
  msToModels: number;
}

if (import.meta.main) {
  const world = await dashboardWorld();
  const tb = await launchBrowser();
  try {
    const url = `${world.serve.url}/`;
    await fetch(`${world.serve.url}/models/load`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: world.ids["qwen-a"] }),
    });
    const models = (await (await fetch(`${world.serve.url}/api/models`)).json()).length;
    await Deno.mkdir(OUT, { recursive: true });
    for (const [name, width, height] of [["wide", 1280, 800], ["narrow", 390, 844]] as const) {
      const page = await tb.page(width, height);
      // No bar transition to wait out before the photograph.
      await page.emulateMediaFeatures([{ name: "prefers-reduced-motion", value: "reduce" }]);
      await page.goto(url, { waitUntil: "domcontentloaded" });
      await waitInPage(
        page,
        "every model, one loaded",
        (n) =>
          document.querySelectorAll("tbody tr[data-model]").length === n &&
          document.querySelector('tr[data-status="loaded"]') !== null &&
          document.querySelector('[data-tier="primary"] .bar') !== null,
        models,
      );
      if (name === "wide") {
        const figures: PageFigures = await page.evaluate(() => {
          const entries = [
            ...performance.getEntriesByType("navigation"),
            ...performance.getEntriesByType("resource"),
          ] as PerformanceResourceTiming[];
          const files = entries.filter((e) => !/\/(api\/|running)/.test(e.name));
          return {
            requests: entries.length,
            transferBytes: files.reduce((s, e) => s + e.transferSize, 0),
            decodedBytes: files.reduce((s, e) => s + e.decodedBodySize, 0),
            msToModels: Math.round(performance.now()),
          };
        });
        console.log(
          `page: ${figures.requests} requests, files ${
            (figures.transferBytes / 1024).toFixed(1)
          } KiB on the wire (${(figures.decodedBytes / 1024).toFixed(1)} KiB decoded), ` +
            `every model shown ${figures.msToModels} ms after navigation`,
        );
      }
      const path = join(OUT, `dashboard-${name}.png`);
      await page.screenshot({ path: path as `${string}.png` });
      console.log(`wrote ${path.slice(ROOT.length + 1)}`);
      await page.close();
    }
  } finally {
    await tb.close();
    await world.close();
  }
}
