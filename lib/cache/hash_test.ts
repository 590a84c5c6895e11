import assert from "node:assert/strict";
import { createHasher, hashBytes, hashFile } from "./hash.ts";
import { LlamaPackError } from "../errors.ts";

const enc = new TextEncoder();

Deno.test("hashBytes() gives the reference xxh64 values", async (t) => {
  // Reference values of XXH64 with seed 0 (xxHash test vectors).
  const cases: Array<[string, string]> = [
    ["", "ef46db3751d8e999"],
    ["a", "d24ec4f1a98c6e5b"],
    ["abc", "44bc2cf5ad770999"],
  ];
  for (const [input, expected] of cases) {
    await t.step(JSON.stringify(input), async () => {
      assert.equal(await hashBytes(enc.encode(input)), expected);
    });
  }
});

Deno.test("createHasher() gives the same hash however the input is split", async () => {
  const small = enc.encode("the quick brown fox jumps over the lazy dog");
  const bytewise = await createHasher();
  for (const b of small) bytewise.update(new Uint8Array([b]));
  assert.equal(bytewise.digest(), await hashBytes(small));

  const data = new Uint8Array(3 * (1 << 20) + 12345);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  const whole = await hashBytes(data);
  for (const piece of [4093, 65536, 1 << 20, (1 << 20) + 7, data.length]) {
    const h = await createHasher();
    for (let at = 0; at < data.length; at += piece) h.update(data.subarray(at, at + piece));
    assert.equal(h.digest(), whole, `piece size ${piece}`);
  }
  // A single changed byte changes the hash.
  data[data.length - 1]! ^= 1;
  assert.notEqual(await hashBytes(data), whole);
});

Deno.test("hashFile() hashes a file with any buffer size and reports progress", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = new Uint8Array(5_000_003);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    await Deno.writeFile(`${dir}/m.gguf`, data);
    const expected = await hashBytes(data);
    for (const bufferSize of [4096, 1 << 20, 16 << 20]) {
      const seen: number[] = [];
      const got = await hashFile(`${dir}/m.gguf`, { bufferSize, onProgress: (n) => seen.push(n) });
      assert.deepEqual(got, { hash: expected, size: data.length });
      assert.equal(seen.at(-1), data.length);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hashFile() fails with IO naming the file when it is missing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(hashFile(`${dir}/nope.gguf`), (e) => {
      assert.ok(e instanceof LlamaPackError);
      assert.equal(e.code, "IO");
      assert.match(e.message, /^cannot open file to hash: .*nope\.gguf: /);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hashFile() stops when aborted", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/m.gguf`, new Uint8Array(1 << 20));
    const ctl = new AbortController();
    ctl.abort(new Error("stop"));
    await assert.rejects(hashFile(`${dir}/m.gguf`, { signal: ctl.signal }), /stop/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
