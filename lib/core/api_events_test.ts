import { assertEquals } from "../../tests/assert.ts";
import { API_EVENT_TYPES, apiEvent, isApiEventType, sseMessage } from "./api_events.ts";

Deno.test("API_EVENT_TYPES lists each event once", () => {
  assertEquals(new Set(API_EVENT_TYPES).size, API_EVENT_TYPES.length);
  for (const t of API_EVENT_TYPES) assertEquals(isApiEventType(t), true);
  assertEquals(isApiEventType("model_status"), false);
});

Deno.test("sseMessage() writes one data line an EventSource's onmessage receives", () => {
  const e = apiEvent("eviction", { model_id: "a", model_name: "a", bytes: 5, reason: "cold" });
  const text = sseMessage(e);
  assertEquals(text.split("\n").length, 3);
  assertEquals(JSON.parse(text.slice("data: ".length)), e);
});
