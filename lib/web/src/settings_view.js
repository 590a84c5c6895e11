// The Settings tab: the config as --serve runs it (GET api/settings) — the
// tiers (paths, limits, the space kept free), the warning threshold, the
// monitor's interval, the cache policy, --serve's own settings — with the
// config file's path, and the background monitor's last pass. Read-only:
// they are changed in the config file.
import { html } from "./html.js";
import { duration, sizeGb } from "./format.js";
import { tiersOf } from "./tiers_view.js";

const clock = (iso) => iso ? new Date(iso).toLocaleTimeString() : "—";
const yes = (b) => b ? "on" : "off";

function refillText(pass) {
  if (!pass) return "—";
  if (pass.refill_skipped) return `skipped: ${pass.refill_skipped}`;
  if (pass.refill?.length) return pass.refill.map((r) => r.model_name).join(", ");
  return "nothing to copy";
}

function tierLine(t) {
  const limit = t.limit_gb ? sizeGb(t.limit_gb) : "the disk";
  const free = t.min_free_gb ? ` · keeps ${sizeGb(t.min_free_gb)} free` : "";
  return `limit ${limit}${free}`;
}

function policyText(c) {
  if (!c) return "—";
  const when = `${c.min_uses} use${c.min_uses === 1 ? "" : "s"} within ${c.window_days} days`;
  return `${c.auto ? "copies hot models to the SSD" : "copies only when asked"} ` +
    `(after ${when}; adaptive profile ${yes(c.adaptive)})`;
}

/** The Settings tab. */
export function SettingsView({ state }) {
  const tiers = tiersOf(state.stats);
  const pass = state.monitor;
  const s = state.settings;
  const threshold = s?.cache_warning_threshold ?? state.stats?.threshold;
  return html`
    <section class="panel settings" aria-labelledby="settings-h">
      <h2 id="settings-h">Settings</h2>
      <p>Read-only: change them in the config file${s
        ? html`
          <code class="path config-path">${s.config_path}</code>
        `
        : null} (<code>llama-pack --edit-config</code> opens it), then restart <code>--serve</code>.</p>
      <h3>Tiers</h3>
      <dl class="kv">
        ${tiers.map((t) =>
          html`
            <dt>${t.label}</dt>
            <dd><code class="path">${t.path}</code> · ${tierLine(t)}</dd>
          `
        )}
        <dt>Warning threshold</dt>
        <dd data-setting="threshold">${threshold == null
          ? "—"
          : `${Math.round(threshold * 100)}%`}</dd>
      </dl>
      <h3>Cache policy</h3>
      <dl class="kv">
        <dt>Copies to the SSD</dt>
        <dd data-setting="policy">${policyText(s?.cache)}</dd>
      </dl>
      <h3>Background monitor</h3>
      <dl class="kv">
        <dt>Interval</dt>
        <dd data-setting="monitor-interval">${s
          ? `every ${duration(s.monitor_interval_s)}`
          : "—"}</dd>
        <dt>Last pass</dt>
        <dd>${pass
          ? `${clock(pass.started_at)} (${pass.trigger}, ${Number(pass.seconds).toFixed(1)} s)`
          : "—"}</dd>
        <dt>Next pass</dt>
        <dd>${pass ? clock(pass.next_at) : "—"}</dd>
        <dt>Refill</dt>
        <dd>${refillText(pass)}</dd>
      </dl>
      ${s
        ? html`
          <h3>Serving</h3>
          <dl class="kv">
            <dt>Listens on</dt>
            <dd>${s.serve.listen}${s.serve.api_key_required ? " (API key required)" : ""}</dd>
            <dt>Servers at once</dt>
            <dd>${s.serve.max_running}</dd>
            <dt>Idle unload</dt>
            <dd>${s.serve.idle_unload_s == null
              ? "never"
              : `after ${duration(s.serve.idle_unload_s)}`}</dd>
            <dt>Load timeout</dt>
            <dd>${s.serve.load_timeout_s === "adaptive"
              ? "adaptive"
              : duration(s.serve.load_timeout_s)}</dd>
            <dt>Server ports</dt>
            <dd>${s.serve.child_ports}</dd>
          </dl>
        `
        : null}
    </section>
  `;
}
