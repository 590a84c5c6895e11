/**
 * Test assertions (JSR's @std/assert is not reachable here): thin wrappers
 * over `node:assert/strict` with the familiar names.
 *
 * @module
 */
import nodeAssert from "node:assert/strict";

/** Asserts that `cond` is truthy. */
export function assert(cond: unknown, msg?: string): asserts cond {
  nodeAssert.ok(cond, msg);
}

/** Asserts deep strict equality. */
export function assertEquals<T>(actual: unknown, expected: T, msg?: string): asserts actual is T {
  nodeAssert.deepStrictEqual(actual, expected, msg);
}

/** Asserts deep strict inequality. */
export function assertNotEquals(actual: unknown, expected: unknown, msg?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, msg);
}

/** Asserts that `text` contains `part`. */
export function assertStringIncludes(text: string, part: string, msg?: string): void {
  if (!text.includes(part)) {
    nodeAssert.fail(msg ?? `expected to find ${JSON.stringify(part)} in:\n${text}`);
  }
}

/** Asserts that `text` matches `re`. */
export function assertMatch(text: string, re: RegExp, msg?: string): void {
  nodeAssert.match(text, re, msg);
}

// deno-lint-ignore no-explicit-any
type ErrorClass<E> = abstract new (...args: any[]) => E;

/** Asserts that `fn` throws (an instance of `cls`, if given) and returns the error. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  cls?: ErrorClass<E>,
  includes?: string,
): E {
  try {
    fn();
  } catch (err) {
    if (cls && !(err instanceof cls)) {
      nodeAssert.fail(`expected ${cls.name}, got ${String(err)}`);
    }
    if (includes && !(err as Error).message.includes(includes)) {
      nodeAssert.fail(
        `expected message to include ${JSON.stringify(includes)}, got: ${(err as Error).message}`,
      );
    }
    return err as E;
  }
  nodeAssert.fail("expected the function to throw");
}

/** Asserts that `fn` rejects (with an instance of `cls`, if given) and returns the error. */
export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  cls?: ErrorClass<E>,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    if (cls && !(err instanceof cls)) {
      nodeAssert.fail(`expected ${cls.name}, got ${String(err)}`);
    }
    if (includes && !(err as Error).message.includes(includes)) {
      nodeAssert.fail(
        `expected message to include ${JSON.stringify(includes)}, got: ${(err as Error).message}`,
      );
    }
    return err as E;
  }
  nodeAssert.fail("expected the promise to reject");
}
