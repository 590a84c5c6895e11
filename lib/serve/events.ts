/**
 * Live events of `--serve` and the server-sent-event streams that carry
 * them: one hub every part publishes to (server status changes now; copy
 * progress, warnings and scans from the cache API later), and a helper that
 * turns a subscription into an SSE response with keep-alive comments and
 * `X-Accel-Buffering: no`, ended when the client leaves or `--serve` stops.
 *
 * @module
 */

/** One event: its kind and its JSON payload. */
export interface ServeEvent {
  /** E.g. `model_status`. */
  type: string;
  /** The payload. */
  data: unknown;
}

/** Where events are published and subscribed to. */
export class EventHub {
  #listeners = new Set<(e: ServeEvent) => void>();
  #closers = new Set<() => void>();

  /**
   * Publishes an event to every subscriber.
   *
   * @param event The event.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { EventHub } from "./events.ts";
   * const hub = new EventHub();
   * const seen: string[] = [];
   * const off = hub.subscribe((e) => seen.push(e.type));
   * hub.publish({ type: "model_status", data: {} });
   * off();
   * hub.publish({ type: "ignored", data: {} });
   * assert.deepEqual(seen, ["model_status"]);
   * ```
   */
  publish(event: ServeEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch {
        // one broken listener never stops the others
      }
    }
  }

  /**
   * Subscribes to every event.
   *
   * @param listener Called with each event.
   * @returns Unsubscribes.
   */
  subscribe(listener: (e: ServeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** How many subscribers there are. */
  get size(): number {
    return this.#listeners.size;
  }

  /**
   * An SSE response carrying events, each written by `format` (return
   * `undefined` to skip one); a `: keep-alive` comment every `keepAliveMs`.
   *
   * @param signal The request's signal: the stream ends when the client leaves.
   * @param format Turns an event into the text of one SSE message (`data: …`).
   * @param options Keep-alive interval, first messages to send.
   * @returns The streaming response.
   */
  sse(
    signal: AbortSignal,
    format: (e: ServeEvent) => string | undefined,
    options: { keepAliveMs?: number; initial?: string[] } = {},
  ): Response {
    const encoder = new TextEncoder();
    let cleanup = () => {};
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const send = (text: string) => {
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            cleanup();
          }
        };
        for (const text of options.initial ?? []) send(text);
        const off = this.subscribe((e) => {
          const text = format(e);
          if (text !== undefined) send(text);
        });
        const timer = setInterval(() => send(": keep-alive\n\n"), options.keepAliveMs ?? 15_000);
        const close = () => {
          cleanup();
          try {
            controller.close();
          } catch {
            // already closed
          }
        };
        cleanup = () => {
          off();
          clearInterval(timer);
          signal.removeEventListener("abort", close);
          this.#closers.delete(close);
        };
        signal.addEventListener("abort", close, { once: true });
        this.#closers.add(close);
      },
      cancel: () => cleanup(),
    });
    return new Response(body, {
      headers: {
        "Content-Type": "text/event-stream",
        "Cache-Control": "no-cache",
        "X-Accel-Buffering": "no",
      },
    });
  }

  /** Ends every open SSE stream (at shutdown, so draining does not wait on them). */
  closeStreams(): void {
    for (const close of [...this.#closers]) close();
  }
}
