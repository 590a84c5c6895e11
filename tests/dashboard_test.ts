/// <reference lib="dom" />
/**
 * The dashboard in a real browser (headless Chromium through puppeteer-core)
 * against the real `llama-pack --serve`, its API and the fake llama-server:
 * every model listed, the tier bars' colours at 50/80/95%, a load that turns
 * its row loaded, a copy that shows progress and then the SSD badge, the
 * register form's space check, the key prompt, nothing fetched from
 * anywhere but llama-pack, and no sideways scrolling at 390 px.
 */

import { assert, assertEquals, assertMatch } from "./assert.ts";
import { chromiumPath, launchBrowser, type TestBrowser, waitInPage } from "./browser.ts";
import { type DashboardWorld, dashboardWorld, growSsd } from "./dashboard_world.ts";
import type { Page } from "puppeteer-core";
import { startFakeHub } from "./fixtures/fake_hub.ts";
import { ggufBytes } from "./fixtures/hub_models.ts";

const MB = 1_000_000;

const browserPath = chromiumPath();
// .ci/run sets LLAMA_PACK_BROWSER=required: then a missing chromium fails the
// tests instead of skipping them (it says "skip: why" where none can be installed).
const browserRequired = Deno.env.get("LLAMA_PACK_BROWSER") === "required";
const skipBrowser = !browserPath && !browserRequired;
if (skipBrowser) {
  const why = Deno.env.get("LLAMA_PACK_BROWSER")?.replace(/^skip: /, "") ??
    "no chromium (apt-get install chromium)";
  console.log(`dashboard browser tests skipped: ${why}`);
}

/** Opens the page and records every URL it asks for. */
async function open(tb: TestBrowser, url: string, width = 1280, height = 800) {
  const page = await tb.page(width, height);
  const requests: string[] = [];
  const errors: string[] = [];
  page.on("request", (r) => void requests.push(r.url()));
  page.on("pageerror", (e) => void errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await page.goto(url, { waitUntil: "domcontentloaded" });
  return { page, requests, errors };
}

const rowCount = (page: Page) => page.$$eval("tbody tr[data-model]", (rows) => rows.length);

async function tierBar(page: Page, tier: string) {
  return await page.$eval(`[data-tier="${tier}"] .bar`, (el) => ({
    color: el.getAttribute("data-color"),
    value: Number(el.getAttribute("aria-valuenow")),
    classes: el.className,
    fill: getComputedStyle(el.firstElementChild!).backgroundColor,
  }));
}

async function clickRefresh(page: Page) {
  await waitInPage(
    page,
    "Refresh cache stats ready",
    () =>
      document.querySelector("button.refresh:not([disabled])")?.textContent?.includes(
        "Refresh cache stats",
      ),
  );
  await page.click("button.refresh");
}

async function tab(page: Page, name: string) {
  await page.click(`#tab-${name}`);
  await waitInPage(
    page,
    `the ${name} tab`,
    (n) => document.getElementById(`tab-${n}`)?.getAttribute("aria-selected") === "true",
    name,
  );
}

Deno.test({
  name: "dashboard: models, tier colours, load, copy, register check, narrow screen",
  ignore: skipBrowser,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    // A fake Hugging Face hub on loopback, throttled so a download takes seconds.
    const hub = await startFakeHub({
      repos: [{
        id: "org/tiny-GGUF",
        revisions: {
          main: [{ path: "tiny-Q4_K_M.gguf", bytes: await ggufBytes("tiny-Q4_K_M.gguf", 3 * MB) }],
        },
      }],
    });
    hub.faults.throttle = 1 * MB;
    const world: DashboardWorld = await dashboardWorld({ env: { HF_ENDPOINT: hub.url } });
    const tb = await launchBrowser();
    try {
      const { serve, sb, ids } = world;
      const api = await (await fetch(`${serve.url}/api/models`)).json() as { id: string }[];
      const { page, requests, errors } = await open(tb, `${serve.url}/`);

      await t.step("every model is listed, twins told apart by their folders", async () => {
        await waitInPage(
          page,
          "every model row",
          (n) => document.querySelectorAll("tbody tr[data-model]").length === n,
          api.length,
        );
        assertEquals(await rowCount(page), api.length);
        for (const m of api) {
          assert(await page.$(`tr[data-model="${m.id}"]`), `row of ${m.id}`);
        }
        const hints = await page.$$eval(".hint", (els) => els.map((e) => e.textContent));
        assert(hints.some((h) => h?.includes("qwen")), `hints ${hints}`);
        assert(hints.some((h) => h?.includes("2024")), `hints ${hints}`);
        const qwen = await page.$eval(
          `tr[data-model="${ids["qwen-a"]}"]`,
          (tr) => (tr as HTMLElement).innerText,
        );
        assertMatch(qwen, /Q4_K_M/);
        assertMatch(qwen, /8\.2B/);
        assertMatch(qwen, /4\.7 GB/);
      });

      await t.step("sorting and filtering", async () => {
        await page.type("input.filter", "mistral");
        await waitInPage(
          page,
          "one row",
          () => document.querySelectorAll("tbody tr[data-model]").length === 1,
        );
        await page.click("input.filter", { count: 3 });
        await page.keyboard.press("Backspace");
        await waitInPage(
          page,
          "all rows back",
          (n) => document.querySelectorAll("tbody tr[data-model]").length === n,
          api.length,
        );
        const [sizeHeader] = await page.$$("xpath/.//thead//button[contains(., 'Size')]");
        await sizeHeader!.click();
        await waitInPage(
          page,
          "the biggest model first",
          () =>
            /Llama-3\.3-70B/.test(
              document.querySelector("tbody tr[data-model]")?.getAttribute("data-model") ?? "",
            ),
        );
        await sizeHeader!.click();
        await waitInPage(
          page,
          "the smallest model first",
          () =>
            /gemma/.test(
              document.querySelector("tbody tr[data-model]")?.getAttribute("data-model") ?? "",
            ),
        );
      });

      await t.step(
        "tier bars: green at 50%, yellow at 80%, red at 95% with a warning",
        async () => {
          await waitInPage(
            page,
            "the primary tier card",
            () => document.querySelector('[data-tier="primary"] .bar') !== null,
          );
          let bar = await tierBar(page, "primary");
          assertEquals([bar.color, bar.value], ["green", 50]);
          assertEquals(
            await page.$$eval(
              "[data-tier]",
              (cards) => cards.map((c) => c.getAttribute("data-tier")),
            ),
            ["primary", "secondary", "custom-0"],
          );
          assertEquals(
            await page.$eval('[data-tier="custom-0"] .path', (e) => e.textContent),
            `${sb.root}/custom`,
          );
          assertEquals(bar.fill, "rgb(46, 157, 87)");
          await growSsd(sb, "grow-1.bin", 3);
          await clickRefresh(page);
          await waitInPage(
            page,
            "80%",
            () =>
              document.querySelector('[data-tier="primary"] .bar')?.getAttribute(
                "aria-valuenow",
              ) ===
                "80",
          );
          bar = await tierBar(page, "primary");
          assertEquals(bar.color, "yellow");
          assertEquals(bar.fill, "rgb(217, 162, 27)");
          assert(!(await page.$(".banner.warn")), "no warning at 80%");
          await growSsd(sb, "grow-2.bin", 1.5);
          await clickRefresh(page);
          await waitInPage(
            page,
            "95%",
            () =>
              document.querySelector('[data-tier="primary"] .bar')?.getAttribute(
                "aria-valuenow",
              ) ===
                "95",
          );
          bar = await tierBar(page, "primary");
          assertEquals(bar.color, "red");
          assertEquals(bar.fill, "rgb(210, 63, 63)");
          await waitInPage(
            page,
            "the warning banner",
            () =>
              document.querySelector(".banner.warn")?.textContent?.includes("warning threshold"),
          );
          await Deno.remove(`${sb.ssd}/grow-1.bin`);
          await Deno.remove(`${sb.ssd}/grow-2.bin`);
          await clickRefresh(page);
          await waitInPage(
            page,
            "back to 50%",
            () =>
              document.querySelector('[data-tier="primary"] .bar')?.getAttribute(
                  "aria-valuenow",
                ) ===
                "50" && !document.querySelector(".banner.warn"),
          );
        },
      );

      const gemma = `tr[data-model="${ids.gemma}"]`;

      await t.step("a load button starts the server and its row turns loaded", async () => {
        await page.click(`${gemma} button[aria-label^="Load"]`);
        await waitInPage(
          page,
          "gemma loaded",
          (sel) => document.querySelector(sel)?.getAttribute("data-status") === "loaded",
          gemma,
        );
        const running = await (await fetch(`${serve.url}/running`)).json();
        assertEquals(running.running.map((r: { model: string }) => r.model), [ids.gemma]);
        await tab(page, "activity");
        await waitInPage(
          page,
          "the server in Activity with its port, tier, start and memory",
          (id, port) => {
            const tr = document.querySelector(`table.servers tr[data-model="${CSS.escape(id)}"]`);
            const cell = (label: string) =>
              tr?.querySelector(`[data-label="${label}"]`)?.textContent?.trim() ?? "";
            return cell("Port") === String(port) && cell("Tier") === "HDD" &&
              cell("Since") === "just now" && /^\d+(\.\d)? (MB|GB)$/.test(cell("Memory"));
          },
          ids.gemma!,
          running.running[0].proxy.split(":").at(-1),
        );
        await tab(page, "models");
      });

      await t.step("a copy shows its progress, then the SSD badge", async () => {
        // A second tab on Activity watches the same copy as a job.
        const watcher = await tb.page();
        await watcher.goto(`${serve.url}/#activity`, { waitUntil: "domcontentloaded" });
        await waitInPage(
          watcher,
          "the Activity tab live",
          () =>
            document.querySelector(".conn")?.textContent === "live" &&
            document.getElementById("copies-h") !== null,
        );
        await watcher.evaluate(() => {
          const seen: string[] = [];
          (globalThis as unknown as { seenJobs: string[] }).seenJobs = seen;
          new MutationObserver(() => {
            for (const li of document.querySelectorAll("li[data-transfer]")) {
              const text = (li as HTMLElement).innerText.replace(/\s+/g, " ").trim();
              if (seen.at(-1) !== text) seen.push(text);
            }
          }).observe(document.body, {
            subtree: true,
            childList: true,
            characterData: true,
            attributes: true,
          });
        });
        await page.evaluate((sel) => {
          const seen: string[] = [];
          (globalThis as unknown as { seenWhere: string[] }).seenWhere = seen;
          const record = () => {
            const w = document.querySelector(`${sel} td.where`)?.textContent?.trim() ?? "";
            if (seen.at(-1) !== w) seen.push(w);
          };
          new MutationObserver(record).observe(document.body, {
            subtree: true,
            childList: true,
            characterData: true,
            attributes: true,
          });
          record();
        }, gemma);
        await page.click(`${gemma} button[aria-label^="Cache"]`);
        await waitInPage(
          page,
          "gemma on the SSD",
          (sel) =>
            ["ssd", "both"].includes(document.querySelector(sel)?.getAttribute("data-where") ?? ""),
          gemma,
        );
        const seen = await page.evaluate(() =>
          (globalThis as unknown as { seenWhere: string[] }).seenWhere
        );
        assert(seen.some((w) => /copying \d+%/.test(w)), `saw ${JSON.stringify(seen)}`);
        assertMatch(seen.at(-1)!, /SSD/);
        // The job came and went in the other tab, and the copy is among the recent events.
        await waitInPage(
          watcher,
          "the copy among the recent events, no job left",
          () =>
            [...document.querySelectorAll("ol.events li")].some((li) =>
              /copied gemma-3-1b-it-Q5_K_M to the SSD in \d+ s/.test(li.textContent ?? "")
            ) && document.querySelector("li[data-transfer]") === null,
        );
        const jobs = await watcher.evaluate(() =>
          (globalThis as unknown as { seenJobs: string[] }).seenJobs
        );
        assert(
          jobs.some((j) => /gemma-3-1b-it-Q5_K_M.*→ SSD.*\d+% .*of 256 MB/.test(j)),
          `jobs seen ${JSON.stringify(jobs)}`,
        );
        await watcher.close();
      });

      await t.step("Unpin and Pin change the pin only (the copy stays)", async () => {
        const pinnedBadge = (sel: string) =>
          document.querySelector(`${sel} .badge.pinned`) !== null;
        await waitInPage(page, "gemma pinned after its copy", pinnedBadge, gemma);
        await page.click(`${gemma} button[aria-label^="Unpin"]`);
        await waitInPage(
          page,
          "gemma unpinned, still on the SSD",
          (sel) =>
            document.querySelector(`${sel} .badge.pinned`) === null &&
            document.querySelector(`${sel} button[aria-label^="Pin"]`) !== null &&
            document.querySelector(sel)?.getAttribute("data-where") === "both",
          gemma,
        );
        const api = async () =>
          ((await (await fetch(`${serve.url}/api/models`)).json()) as {
            id: string;
            pinned: boolean;
            on_ssd: boolean;
          }[]).find((m) => m.id === ids.gemma)!;
        assertEquals([(await api()).pinned, (await api()).on_ssd], [false, true]);
        await page.click(`${gemma} button[aria-label^="Pin"]`);
        await waitInPage(page, "gemma pinned again", pinnedBadge, gemma);
        assertEquals((await api()).pinned, true);
      });

      await t.step("evict and unload ask first; Cancel changes nothing", async () => {
        const dialog = async (button: string) => {
          await waitInPage(
            page,
            "the confirm dialog",
            () => document.querySelector("dialog.confirm")?.hasAttribute("open"),
          );
          const [b] = await page.$$(`xpath/.//dialog//button[contains(., '${button}')]`);
          await b!.click();
          await waitInPage(
            page,
            "the dialog gone",
            () => !document.querySelector("dialog.confirm"),
          );
        };
        await page.click(`${gemma} button[aria-label^="Evict"]`);
        await dialog("Cancel");
        assertEquals(await page.$eval(gemma, (tr) => tr.getAttribute("data-where")), "both");
        await page.click(`${gemma} button[aria-label^="Evict"]`);
        await waitInPage(
          page,
          "the confirm dialog",
          () => document.querySelector("dialog.confirm")?.hasAttribute("open"),
        );
        await page.keyboard.press("Escape");
        await waitInPage(page, "Escape closes it", () => !document.querySelector("dialog.confirm"));
        assertEquals(await page.$eval(gemma, (tr) => tr.getAttribute("data-where")), "both");
        await page.click(`${gemma} button[aria-label^="Evict"]`);
        await dialog("Evict");
        await waitInPage(
          page,
          "gemma back on the HDD only",
          (sel) => document.querySelector(sel)?.getAttribute("data-where") === "hdd",
          gemma,
        );
        await page.click(`${gemma} button[aria-label^="Unload"]`);
        await dialog("Stop the server");
        await waitInPage(
          page,
          "gemma unloaded",
          (sel) => document.querySelector(sel)?.getAttribute("data-status") === "unloaded",
          gemma,
        );
        // "unloaded" covers stopping; the server is gone soon after.
        const deadline = Date.now() + 10_000;
        let running: unknown[] = [];
        for (;;) {
          running = (await (await fetch(`${serve.url}/running`)).json()).running;
          if (running.length === 0 || Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        assertEquals(running, []);
        await tab(page, "activity");
        await waitInPage(
          page,
          "no server in Activity",
          () => document.querySelector("table.servers") === null,
        );
        await tab(page, "models");
      });

      await t.step(
        "the register form: 'does not fit' above the free room, then a registration",
        async () => {
          await tab(page, "register");
          await page.type('input[name="model"]', "someone/Huge-Model-GGUF:Q4_K_M");
          await page.type('input[name="size"]', "20000");
          await waitInPage(
            page,
            "the primary verdict",
            () =>
              document.querySelector('[data-location="primary"] .loc-check')?.getAttribute(
                "data-check",
              ) === "no",
          );
          const text = await page.$eval(
            '[data-location="primary"] .loc-check',
            (e) => e.textContent ?? "",
          );
          assertMatch(text, /does not fit/);
          const picked = await page.$eval(
            'input[name="location"]:checked',
            (e) => (e as HTMLInputElement).value,
          );
          assertEquals(picked, "secondary");
          // 4500 MB fits in the SSD's 5 GiB of room but takes it past 90%.
          await page.click('input[name="size"]', { count: 3 });
          await page.keyboard.press("Backspace");
          await page.type('input[name="size"]', "4500");
          await waitInPage(
            page,
            "the primary warning",
            () =>
              document.querySelector('[data-location="primary"] .loc-check')?.getAttribute(
                "data-check",
              ) === "warn",
          );
          assertMatch(
            await page.$eval('[data-location="primary"] .loc-check', (e) => e.textContent ?? ""),
            /would pass the warning threshold/,
          );
          await page.click('input[name="model"]', { count: 3 });
          await page.keyboard.press("Backspace");
          await page.type('input[name="model"]', ids.gemma!);
          await waitInPage(
            page,
            "gemma fits on the SSD",
            () =>
              document.querySelector('[data-location="primary"] .loc-check')?.getAttribute(
                "data-check",
              ) === "fits",
          );
          assertEquals(
            await page.$eval(
              'input[name="location"]:checked',
              (e) => (e as HTMLInputElement).value,
            ),
            "primary",
            "the recommended location is picked",
          );
          await page.click('form button[type="submit"]');
          await waitInPage(
            page,
            "the registration's answer",
            () => /copying gemma/.test(document.querySelector(".result.done")?.textContent ?? ""),
          );
          await tab(page, "models");
          await waitInPage(
            page,
            "gemma registered on the SSD, pinned",
            (sel) =>
              document.querySelector(sel)?.getAttribute("data-where") === "both" &&
              document.querySelector(`${sel} .badge.pinned`) !== null,
            gemma,
          );
        },
      );

      await t.step("the register form downloads from Hugging Face with progress", async () => {
        await tab(page, "register");
        await page.click('input[name="model"]', { count: 3 });
        await page.keyboard.press("Backspace");
        await page.type('input[name="model"]', "org/tiny-GGUF");
        await waitInPage(
          page,
          "the download hint",
          () => /will be downloaded/.test(document.querySelector(".hint-line")?.textContent ?? ""),
        );
        await page.type('input[name="size"]', "3");
        await page.click('input[name="location"][value="secondary"]');
        await waitInPage(
          page,
          "the secondary verdict, the Download button ready",
          () =>
            document.querySelector('[data-location="secondary"] .loc-check')?.getAttribute(
                "data-check",
              ) === "fits" &&
            document.querySelector('form button[type="submit"]:not([disabled])')?.textContent
                ?.trim() === "Download",
        );
        // The recommendation (the SSD) came after the pick and did not override it.
        assertEquals(
          await page.$eval('input[name="location"]:checked', (e) => (e as HTMLInputElement).value),
          "secondary",
        );
        await page.evaluate(() => {
          const seen: string[] = [];
          (globalThis as unknown as { seenDownload: string[] }).seenDownload = seen;
          new MutationObserver(() => {
            const text = document.querySelector(".result .figures")?.textContent?.trim();
            if (text && seen.at(-1) !== text) seen.push(text);
          }).observe(document.body, { subtree: true, childList: true, characterData: true });
        });
        await page.click('form button[type="submit"]');
        await waitInPage(
          page,
          "the download's answer",
          () =>
            /downloading org\/tiny-GGUF/.test(document.querySelector(".result")?.textContent ?? ""),
        );
        await tab(page, "models");
        await waitInPage(
          page,
          "the downloaded model in the list, on the HDD",
          () =>
            document.querySelector('tr[data-model="org/tiny-GGUF/tiny-Q4_K_M.gguf"]')
              ?.getAttribute("data-where") === "hdd",
        );
        const seen = await page.evaluate(() =>
          (globalThis as unknown as { seenDownload: string[] }).seenDownload
        );
        assert(
          seen.some((f) => /^\d+% · org\/tiny-GGUF/.test(f)),
          `download progress seen: ${JSON.stringify(seen)}`,
        );
        assert(
          hub.requests.some((q) => q.server === "cdn"),
          "the bytes came from the (fake) hub",
        );
      });

      await t.step(
        "Settings show the config file, the monitor's interval and the policy",
        async () => {
          await tab(page, "settings");
          await waitInPage(
            page,
            "the settings",
            () => document.querySelector(".config-path") !== null,
          );
          assertEquals(await page.$eval(".config-path", (e) => e.textContent?.trim()), sb.config);
          const setting = (name: string) =>
            page.$eval(`[data-setting="${name}"]`, (e) => e.textContent?.trim() ?? "");
          assertEquals(await setting("monitor-interval"), "every 5 min");
          assertEquals(await setting("threshold"), "90%");
          assertMatch(await setting("policy"), /only when asked/);
        },
      );

      await t.step("at 390 px wide nothing scrolls sideways", async () => {
        const narrow = await tb.page(390, 844);
        await narrow.goto(`${serve.url}/`, { waitUntil: "domcontentloaded" });
        await waitInPage(
          narrow,
          "rows",
          () => document.querySelectorAll("tbody tr[data-model]").length > 0,
        );
        for (const name of ["models", "activity", "register", "settings"]) {
          await tab(narrow, name);
          if (name === "settings") {
            await waitInPage(
              narrow,
              "the config path",
              () => document.querySelector(".config-path") !== null,
            );
          }
          const { scroll, client } = await narrow.evaluate(() => ({
            scroll: document.documentElement.scrollWidth,
            client: document.documentElement.clientWidth,
          }));
          assert(scroll <= client, `${name}: scrollWidth ${scroll} > ${client}`);
        }
        await narrow.close();
      });

      await t.step("the tabs answer the arrow keys", async () => {
        await page.focus("#tab-register");
        await page.keyboard.press("ArrowRight");
        await waitInPage(
          page,
          "settings selected",
          () =>
            document.activeElement?.id === "tab-settings" &&
            document.activeElement.getAttribute("aria-selected") === "true",
        );
        await page.keyboard.press("ArrowRight");
        await waitInPage(
          page,
          "models selected (the arrows wrap)",
          () =>
            document.activeElement?.id === "tab-models" &&
            document.activeElement.getAttribute("aria-selected") === "true",
        );
      });

      await t.step("everything came from llama-pack, without errors", () => {
        const outside = requests.filter((u) => !u.startsWith(`${serve.url}/`));
        assertEquals(outside, []);
        assertEquals(errors, []);
      });
    } finally {
      await tb.close();
      await world.close();
      await hub.close();
    }
  },
});

Deno.test({
  name: "dashboard: with an API key the page asks once and keeps it for the session",
  ignore: skipBrowser,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const key = "dashboard-key-0123456789abcdef";
    const world = await dashboardWorld({ env: { LLAMA_PACK_API_KEY: key } });
    const tb = await launchBrowser();
    try {
      const { page } = await open(tb, `${world.serve.url}/`);
      await waitInPage(
        page,
        "the key dialog",
        () => document.querySelector("dialog.key")?.hasAttribute("open"),
      );
      assertEquals(await rowCount(page), 0);
      await page.type('dialog.key input[name="key"]', "wrong-key-0123456789abcdef");
      await page.keyboard.press("Enter");
      await waitInPage(
        page,
        "the refusal",
        () => document.querySelector("dialog.key")?.textContent?.includes("refused"),
      );
      await page.click('dialog.key input[name="key"]', { count: 3 });
      await page.type('dialog.key input[name="key"]', key);
      await page.keyboard.press("Enter");
      await waitInPage(
        page,
        "rows",
        () =>
          document.querySelectorAll("tbody tr[data-model]").length > 0 &&
          !document.querySelector("dialog.key"),
      );
      await page.reload({ waitUntil: "domcontentloaded" });
      await waitInPage(
        page,
        "rows after a reload",
        () => document.querySelectorAll("tbody tr[data-model]").length > 0,
      );
      assertEquals(await page.$("dialog.key"), null);
    } finally {
      await tb.close();
      await world.close();
    }
  },
});
