// The Settings tab: the configuration as llama-pack runs with it, read-only,
// with the config file's path (changes are made there, `--edit-config`).
import { html } from "./html.js";
import { sizeGb } from "./format.js";
import { tiersOf } from "./tiers_view.js";

function Value({ v }) {
  if (v === null || v === undefined || v === "") return html`<span class="dim">not set</span>`;
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (Array.isArray(v)) return v.length ? v.join(", ") : html`<span class="dim">none</span>`;
  if (typeof v === "object") return html`<code>${JSON.stringify(v)}</code>`;
  return String(v);
}

/** The Settings tab. */
export function SettingsView({ state }) {
  const s = state.settings;
  const tiers = tiersOf(state.stats);
  return html`<section class="panel settings" aria-labelledby="settings-h">
    <h2 id="settings-h">Settings</h2>
    <p>Read-only: edit ${
    s?.config_path ? html`<code class="path">${s.config_path}</code>` : "the config file"
  } (or run <code>llama-pack --edit-config</code>), then restart <code>--serve</code>.</p>
    <h3>Tiers</h3>
    <dl class="kv">${
    tiers.map((t) =>
      html`
        <dt>${t.label}</dt>
        <dd><code class="path">${t.path}</code> · limit ${t.limit_gb
          ? sizeGb(t.limit_gb)
          : "the disk"}</dd>
      `
    )
  }
      <dt>Warning threshold</dt><dd>${
    state.stats ? `${Math.round((state.stats.threshold ?? 0.9) * 100)}%` : "—"
  }</dd>
    </dl>
    ${
    s
      ? html`
        <h3>Monitor and cache policy</h3>
        <dl class="kv">${Object.entries(s).filter(([k]) => k !== "config_path").map(([k, v]) =>
          html`
            <dt><code>${k}</code></dt>
            <dd>
              <${Value} v=${v} />
            </dd>
          `
        )}</dl>
      `
      : null
  }
  </section>`;
}
