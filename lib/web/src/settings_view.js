// The Settings tab: the tiers as configured (paths, limits, the space kept
// free, the warning threshold) and the background monitor's last pass,
// read-only: they are changed in the config file.
import { html } from "./html.js";
import { sizeGb } from "./format.js";
import { tiersOf } from "./tiers_view.js";

const clock = (iso) => iso ? new Date(iso).toLocaleTimeString() : "—";

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

/** The Settings tab. */
export function SettingsView({ state }) {
  const tiers = tiersOf(state.stats);
  const pass = state.monitor;
  const threshold = state.stats ? `${Math.round((state.stats.threshold ?? 0.9) * 100)}%` : "—";
  return html`
    <section class="panel settings" aria-labelledby="settings-h">
      <h2 id="settings-h">Settings</h2>
      <p>Read-only: change them in the config file (<code>llama-pack --edit-config</code> opens it),
          then restart <code>--serve</code>.</p>
      <h3>Tiers</h3>
      <dl class="kv">
          ${tiers.map((t) =>
            html`
              <dt>${t.label}</dt>
              <dd><code class="path">${t.path}</code> · ${tierLine(t)}</dd>
            `
          )}
          <dt>Warning threshold</dt><dd>${threshold}</dd>
        </dl>
      <h3>Background monitor</h3>
      <dl class="kv">
        <dt>Last pass</dt>
        <dd>${pass
          ? `${clock(pass.started_at)} (${pass.trigger}, ${Number(pass.seconds).toFixed(1)} s)`
          : "—"}</dd>
        <dt>Next pass</dt>
        <dd>${pass ? clock(pass.next_at) : "—"}</dd>
        <dt>Refill</dt>
        <dd>${refillText(pass)}</dd>
      </dl>
    </section>
  `;
}
