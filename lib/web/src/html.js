// preact + htm: components are plain functions of state returning html`…`.
import { h, render } from "./vendor/preact.js";
import htm from "./vendor/htm.js";

/** Tagged template that builds preact elements. */
export const html = htm.bind(h);
export { render };
export { useEffect, useMemo, useReducer, useRef, useState } from "./vendor/hooks.js";
