import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { LlamaPackError } from "../errors.ts";
import { hashFile } from "../cache/hash.ts";
import { copyToCustom, customFiles } from "./copy_custom.ts";

async function world() {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/hdd/llm`, { recursive: true });
  await Deno.mkdir(`${dir}/usb`);
  await Deno.mkdir(`${dir}/state`);
  const bytes = crypto.getRandomValues(new Uint8Array(65536));
  await Deno.writeFile(`${dir}/hdd/llm/m-00001-of-00002.gguf`, bytes);
  await Deno.writeFile(`${dir}/hdd/llm/m-00002-of-00002.gguf`, bytes.slice(0, 1000));
  const file = (rel: string, size: number) => ({
    path: `${dir}/hdd/${rel}`,
    model_id: "llm/m-00001-of-00002.gguf",
    tier: "hdd" as const,
    root: `${dir}/hdd`,
    rel,
    role: "model",
    size,
    mtime: 0,
  });
  const model = {
    id: "llm/m-00001-of-00002.gguf",
    name: "m-00001-of-00002.gguf",
    size: 66536,
    hdd: {
      path: `${dir}/hdd/llm/m-00001-of-00002.gguf`,
      files: [file("llm/m-00002-of-00002.gguf", 1000), file("llm/m-00001-of-00002.gguf", 65536)],
      size: 66536,
    },
  } as never;
  return { dir, model };
}

Deno.test("copyToCustom() copies every file of a model, verified, at its layout under the directory", async () => {
  const { dir, model } = await world();
  try {
    assertEquals(customFiles(model, `${dir}/usb/big`).map((f) => f.dest), [
      `${dir}/usb/big/llm/m-00001-of-00002.gguf`,
      `${dir}/usb/big/llm/m-00002-of-00002.gguf`,
    ]);
    const seen: number[] = [];
    const r = await copyToCustom(model, `${dir}/usb/big`, {
      stateDir: `${dir}/state`,
      root: `${dir}/usb`,
      onProgress: (p) => seen.push(p.bytesDone),
    });
    assertEquals(r.bytes, 66536);
    assertEquals(r.files, ["big/llm/m-00001-of-00002.gguf", "big/llm/m-00002-of-00002.gguf"]);
    for (const n of [1, 2]) {
      const name = `llm/m-0000${n}-of-00002.gguf`;
      assertEquals(
        (await hashFile(`${dir}/usb/big/${name}`)).hash,
        (await hashFile(`${dir}/hdd/${name}`)).hash,
      );
    }
    assertEquals(seen.at(-1), 66536);
    assert(!(await Deno.stat(`${dir}/usb/.llama-pack-partial`).then(() => true, () => false)));
    // Again: the verified copies already there are kept.
    assertEquals(
      (await copyToCustom(model, `${dir}/usb/big`, {
        stateDir: `${dir}/state`,
        root: `${dir}/usb`,
      })).bytes,
      66536,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("copyToCustom() refuses a directory outside its root and never overwrites another file", async () => {
  const { dir, model } = await world();
  try {
    const outside = await assertRejects(
      () => copyToCustom(model, `${dir}/hdd/x`, { stateDir: `${dir}/state`, root: `${dir}/usb` }),
      LlamaPackError,
    );
    assertEquals(outside.code, "USAGE");
    await Deno.mkdir(`${dir}/usb/llm`);
    await Deno.writeTextFile(`${dir}/usb/llm/m-00001-of-00002.gguf`, "mine, not a copy");
    const err = await assertRejects(
      () => copyToCustom(model, `${dir}/usb`, { stateDir: `${dir}/state`, root: `${dir}/usb` }),
      LlamaPackError,
    );
    assertEquals(err.code, "COPY");
    assertEquals(
      await Deno.readTextFile(`${dir}/usb/llm/m-00001-of-00002.gguf`),
      "mine, not a copy",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
