import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { LlamaPackError } from "../errors.ts";
import { pullTargetFromConfig } from "./pull_target.ts";

const G = 1024 ** 3;
const one = { ssd_path: "/fast", hdd_path: ["/slow"], ssd_min_free_gb: 20, ssd_limit_gb: 100 };
const two = { ...one, hdd_path: ["/a", "/b"] };

Deno.test("pullTargetFromConfig() names every tier and configured directory", async (t) => {
  const cases: [typeof one, string | undefined, unknown][] = [
    [one, undefined, { dir: "/slow", name: "hdd", kind: "hdd", minFreeBytes: 0 }],
    [one, "secondary", { dir: "/slow", name: "hdd", kind: "hdd", minFreeBytes: 0 }],
    [one, "primary", {
      dir: "/fast",
      name: "ssd",
      kind: "ssd",
      minFreeBytes: 20 * G,
      limitBytes: 100 * G,
    }],
    [two, "hdd2", { dir: "/b", name: "hdd2", kind: "hdd", minFreeBytes: 0 }],
    [two, "/b/hf/", { dir: "/b/hf", name: "hdd2", kind: "hdd", minFreeBytes: 0 }],
    [two, "~/../../fast/x", {
      dir: "/fast/x",
      name: "ssd",
      kind: "ssd",
      minFreeBytes: 20 * G,
      limitBytes: 100 * G,
    }],
  ];
  for (const [config, to, want] of cases) {
    await t.step(
      `--to ${to}`,
      () => assertEquals(pullTargetFromConfig(config, to, { HOME: "/home/u" }), want),
    );
  }
  await t.step("a relative path is resolved against cwd", () => {
    assertEquals(pullTargetFromConfig(two, "./hf", {}, { cwd: "/a" }).dir, "/a/hf");
  });
});

Deno.test("pullTargetFromConfig() refuses unknown tiers and directories outside every tier", async (t) => {
  for (
    const [to, message] of [
      ["hdd3", "option '--to': no tier 'hdd3' (have: primary, hdd1, hdd2)"],
      ["tertiary", "option '--to': unknown target 'tertiary'"],
      ["/elsewhere", "option '--to': /elsewhere is not a configured model directory"],
      ["/a/../etc", "option '--to': /etc is not a configured model directory"],
    ]
  ) {
    await t.step(to!, () => {
      const err = assertThrows(() => pullTargetFromConfig(two, to, {}), LlamaPackError);
      assertEquals(err.code, "USAGE");
      assertEquals(err.message.slice(0, message!.length), message);
    });
  }
});

Deno.test("pullTargetFromConfig() takes the custom directories by name and by path", async (t) => {
  const custom = { ...one, custom_paths: ["/usb", "/nas/models"] };
  const hdd = (dir: string, name: string) => ({ dir, name, kind: "hdd", minFreeBytes: 0 });
  await t.step("custom", () => {
    assertEquals(pullTargetFromConfig(custom, "custom", {}), hdd("/usb", "custom1"));
  });
  await t.step("custom2", () => {
    assertEquals(pullTargetFromConfig(custom, "custom2", {}), hdd("/nas/models", "custom2"));
  });
  await t.step("a directory inside one", () => {
    assertEquals(
      pullTargetFromConfig(custom, "/nas/models/x", {}),
      hdd("/nas/models/x", "custom2"),
    );
  });
  await t.step("none configured", () => {
    const err = assertThrows(() => pullTargetFromConfig(one, "custom", {}), LlamaPackError);
    assertEquals(err.message, "option '--to': no custom_paths are configured");
  });
  await t.step("custom3 of two", () => {
    const err = assertThrows(() => pullTargetFromConfig(custom, "custom3", {}), LlamaPackError);
    assertEquals(err.message, "option '--to': no tier 'custom3' (have: custom1, custom2)");
  });
});
