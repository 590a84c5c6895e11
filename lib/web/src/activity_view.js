// Running servers (with stop), copy jobs with live progress, speed and ETA,
// and the recent events.
import { html } from "./html.js";
import { ago, duration, sizeBytes, speed } from "./format.js";
import { displayName, percentOf } from "./store.js";

function Servers({ state, act }) {
  const servers = Object.values(state.servers);
  return html`<section class="panel" aria-labelledby="servers-h">
    <h2 id="servers-h">Running servers <span class="count">${servers.length}</span></h2>
    ${
    servers.length === 0
      ? html`<p class="empty">No server is running. Load a model from the Models tab, or send a request.</p>`
      : html`
        <table class="servers">
          <thead>
            <tr>
              <th scope="col">Port</th>
              <th scope="col">Model</th>
              <th scope="col">Tier</th>
              <th scope="col">Since</th>
              <th scope="col">Memory</th>
              <th scope="col">State</th>
              <th scope="col"><span class="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>${servers.map((s) =>
            html`
              <tr data-model=${s.model}>
                <td data-label="Port" class="num">${s.port ?? "—"}</td>
                <th scope="row" data-label="Model">${displayName(s.name ?? s.model)}</th>
                <td data-label="Tier">${(s.tier ?? "—").toUpperCase()}</td>
                <td data-label="Since">${s.started_at ? ago(s.started_at, state.now) : "—"}</td>
                <td data-label="Memory" class="num">${s.memory_bytes
                  ? sizeBytes(s.memory_bytes)
                  : "—"}</td>
                <td data-label="State">${s.state}${s.in_flight
                  ? ` · ${s.in_flight} in flight`
                  : ""}</td>
                <td class="actions"><button type="button" class="danger"
                            aria-label=${`Stop the server of ${s.name ?? s.model}`}
                            onClick=${() =>
                              act.unload({
                                id: s.model,
                                name: s.name ?? s.model,
                              })}>Stop</button></td>
              </tr>
            `
          )}</tbody>
        </table>
      `
  }
  </section>`;
}

function Transfer({ t, label, to }) {
  const p = percentOf(t);
  return html`
    <li data-transfer=${label}>
      <div class="copy-head"><strong>${label}</strong><span>→ ${to}</span></div>
      <div class="bar blue" role="progressbar" aria-valuemin="0" aria-valuemax="100"
        aria-valuenow=${p} aria-label=${`${label} progress`}>
        <span style=${{ width: `${p}%` }}></span>
      </div>
      <p
        class="figures">${p}%${t.phase && t.phase !== "copy" && t.phase !== "download"
          ? ` (${t.phase})`
          : ""} · ${sizeBytes(t.bytes_done ?? 0)} of ${sizeBytes(t.bytes_total)} · ${speed(
            t.bytes_per_second,
          )} · ${t.eta_seconds == null ? "—" : `${duration(t.eta_seconds)} left`}</p>
    </li>
  `;
}

function Transfers({ state }) {
  const copies = Object.values(state.copies);
  const downloads = Object.values(state.downloads);
  const n = copies.length + downloads.length;
  return html`<section class="panel" aria-labelledby="copies-h">
    <h2 id="copies-h">Copies and downloads <span class="count">${n}</span></h2>
    ${
    n === 0 ? html`<p class="empty">No copy or download is running.</p>` : html`<ul class="copies">
      ${
      copies.map((c) =>
        html`
          <${Transfer} key=${`c${c.job_id}`} t=${c} label=${displayName(c.model_name ?? c.model_id)}
            to=${c.destination === "custom" ? c.dest_dir ?? "custom" : "SSD"} />
        `
      )
    }
      ${
      downloads.map((d) =>
        html`
          <${Transfer} key=${`d${d.download_id}`} t=${d} label=${d.label}
            to=${d.dir ?? d.cache_location ?? ""} />
        `
      )
    }
    </ul>`
  }
  </section>`;
}

function Events({ state }) {
  return html`<section class="panel" aria-labelledby="events-h">
    <h2 id="events-h">Recent events</h2>
    ${
    state.events.length === 0
      ? html`<p class="empty">Nothing yet: copies, evictions, loads and warnings show here as they happen.</p>`
      : html`<ol class="events" aria-live="polite">${
        state.events.map((e) =>
          html`
            <li class=${`event ${e.level}`}>
              <time>${new Date(e.at * 1000).toLocaleTimeString()}</time>
              <span class="kind">${e.type.replace(/_/g, " ")}</span>
              <span class="text">${e.text}</span>
            </li>
          `
        )
      }</ol>`
  }
  </section>`;
}

/** The Activity tab. */
export function ActivityView({ state, act }) {
  return html`
    <div class="activity">
      <${Servers} state=${state} act=${act} />
      <${Transfers} state=${state} />
      <${Events} state=${state} />
    </div>
  `;
}
