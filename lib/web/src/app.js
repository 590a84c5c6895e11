// The dashboard of `llama-pack --serve`: one store fed by the API and the
// event stream, tier cards above four tabs. Every change arrives through
// api/events; the page never reloads.
import { html, render, useEffect, useReducer, useRef, useState } from "./html.js";
import { call, KeyNeeded, setSessionKey, streamEvents } from "./api.js";
import { makeActions } from "./actions.js";
import { initialState, reduce, REFETCH_MODELS } from "./store.js";
import { TierCards } from "./tiers_view.js";
import { ModelsView } from "./models_view.js";
import { ActivityView } from "./activity_view.js";
import { RegisterView } from "./register_view.js";
import { SettingsView } from "./settings_view.js";
import { ConfirmDialog, KeyDialog } from "./dialogs.js";

const TABS = [
  { key: "models", label: "Models" },
  { key: "activity", label: "Activity" },
  { key: "register", label: "Register" },
  { key: "settings", label: "Settings" },
];

const nowS = () => Date.now() / 1000;

/** Loads every snapshot the page shows; a 404 leaves that part as it is. */
async function loadAll(dispatch) {
  const get = (path) =>
    call("GET", path).catch((err) => {
      if (err instanceof KeyNeeded) throw err;
      return undefined;
    });
  const [models, stats, running, settings] = await Promise.all([
    get("api/models"),
    get("api/cache/stats"),
    get("running"),
    get("api/settings"),
  ]);
  if (Array.isArray(models)) dispatch({ type: "models", models });
  if (stats) dispatch({ type: "stats", stats });
  if (Array.isArray(running?.running)) dispatch({ type: "running", running: running.running });
  if (settings) dispatch({ type: "settings", settings });
}

/** Fetches the running servers again (their start and memory). */
async function loadRunning(dispatch) {
  const running = await call("GET", "running");
  if (Array.isArray(running?.running)) dispatch({ type: "running", running: running.running });
}

/** Fetches the model list again. */
async function loadModels(dispatch) {
  const models = await call("GET", "api/models");
  if (Array.isArray(models)) dispatch({ type: "models", models });
}

/** Keeps the store live: snapshots, then the event stream, reconnecting. */
function useLive(dispatch, keyVersion) {
  useEffect(() => {
    const stop = new AbortController();
    let refetch;
    let refetchRunning;
    const soon = () => {
      clearTimeout(refetch);
      refetch = setTimeout(() => loadModels(dispatch).catch(() => {}), 100);
    };
    const soonRunning = () => {
      clearTimeout(refetchRunning);
      refetchRunning = setTimeout(() => loadRunning(dispatch).catch(() => {}), 100);
    };
    // Memory changes without events: read it again every 10 s.
    let live = false;
    const memory = setInterval(() => {
      if (live) loadRunning(dispatch).catch(() => {});
    }, 10_000);
    (async () => {
      let wait = 500;
      while (!stop.signal.aborted) {
        try {
          await loadAll(dispatch);
          await streamEvents("api/events", stop.signal, (event) => {
            dispatch({ type: "event", event, at: nowS() });
            if (REFETCH_MODELS.has(event.type)) soon();
            if (event.type === "server_status") soonRunning();
          }, () => {
            live = true;
            wait = 500;
            dispatch({ type: "conn", conn: "live" });
          });
        } catch (err) {
          live = false;
          if (stop.signal.aborted) return;
          if (err instanceof KeyNeeded) {
            dispatch({ type: "key", prompt: keyVersion > 0 ? "refused" : "ask" });
            return;
          }
        }
        live = false;
        dispatch({ type: "conn", conn: "offline" });
        await new Promise((r) => setTimeout(r, wait));
        wait = Math.min(wait * 2, 10_000);
      }
    })();
    return () => {
      stop.abort();
      clearTimeout(refetch);
      clearTimeout(refetchRunning);
      clearInterval(memory);
    };
  }, [keyVersion]);
}

function Tabs({ tab, setTab }) {
  const onKey = (e) => {
    // From the focused tab (the one selected unless focus moved by other means).
    const focused = TABS.findIndex((t) => `tab-${t.key}` === e.target?.id);
    const i = focused >= 0 ? focused : TABS.findIndex((t) => t.key === tab);
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    const next = TABS[(i + step + TABS.length) % TABS.length].key;
    setTab(next);
    document.getElementById(`tab-${next}`)?.focus();
  };
  return html`<nav class="tabs" role="tablist" aria-label="Sections" onKeyDown=${onKey}>${
    TABS.map((t) =>
      html`
        <button type="button" role="tab" id=${`tab-${t.key}`} aria-selected=${t.key === tab}
          aria-controls="tabpanel" tabindex=${t.key === tab ? 0 : -1}
          onClick=${() => setTab(t.key)}>${t.label}</button>
      `
    )
  }</nav>`;
}

function App() {
  const [state, dispatch] = useReducer(reduce, undefined, initialState);
  const [keyVersion, setKeyVersion] = useState(0);
  const [tab, setTabState] = useState(() => {
    const h = location.hash.slice(1);
    return TABS.some((t) => t.key === h) ? h : "models";
  });
  const [ask, setAsk] = useState(null);
  const answer = useRef(null);
  useLive(dispatch, keyVersion);
  useEffect(() => {
    dispatch({ type: "tick", now: nowS() });
    const t = setInterval(() => dispatch({ type: "tick", now: nowS() }), 10_000);
    return () => clearInterval(t);
  }, []);
  const setTab = (key) => {
    setTabState(key);
    history.replaceState(null, "", `#${key}`);
  };

  const confirm = (spec) =>
    new Promise((resolve) => {
      answer.current = resolve;
      setAsk(spec);
    });
  const act = makeActions(dispatch, confirm, () => loadAll(dispatch));

  const panel = {
    models: ModelsView,
    activity: ActivityView,
    register: RegisterView,
    settings: SettingsView,
  }[tab];
  return html`
    <header class="top">
      <h1>llama-pack</h1>
      <span class=${`conn ${state.conn}`} role="status" aria-live="polite">${{
        connecting: "connecting…",
        live: "live",
        offline: "reconnecting…",
      }[state.conn]}</span>
    </header>
    <main>
      ${state.notice
        ? html`<p class="banner error" role="alert">${state.notice}
          <button type="button" class="link" onClick=${() =>
          dispatch({ type: "notice", notice: null })}>
            dismiss</button></p>`
        : null}
      <${TierCards} stats=${state.stats} act=${act} />
      <${Tabs} tab=${tab} setTab=${setTab} />
      <div id="tabpanel" role="tabpanel" aria-labelledby=${`tab-${tab}`}>
        <${panel} state=${state} act=${act} />
      </div>
    </main>
    ${ask
      ? html`<${ConfirmDialog} ask=${ask} onAnswer=${(ok) => {
        setAsk(null);
        answer.current?.(ok);
      }} />`
      : null}
    ${state.keyPrompt
      ? html`<${KeyDialog} refused=${state.keyPrompt === "refused"} onKey=${(key) => {
        setSessionKey(key);
        dispatch({ type: "key", prompt: null });
        setKeyVersion((v) => v + 1);
      }} />`
      : null}
  `;
}

const root = document.getElementById("app");
root.textContent = "";
render(html`<${App} />`, root);
