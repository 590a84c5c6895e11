// The models table: one row per model, sortable by each column, a filter
// box, and per-row actions (destructive ones ask first, through `act`).
import { html, useState } from "./html.js";
import { filterRows, modelRows, sortRows } from "./store.js";
import { ago, params, sizeMb, twinHints } from "./format.js";

const COLUMNS = [
  { key: "name", label: "Name", dir: 1 },
  { key: "quant", label: "Quant", dir: 1 },
  { key: "params", label: "Params", dir: -1 },
  { key: "sizeMb", label: "Size", dir: -1 },
  { key: "where", label: "Where", dir: 1 },
  { key: "rank", label: "Rank", dir: -1 },
  { key: "uses", label: "Uses", dir: -1 },
  { key: "lastUsed", label: "Last used", dir: -1 },
  { key: "status", label: "Status", dir: 1 },
];

function WhereBadge({ row }) {
  if (row.where === "copying") {
    return html`<span class="badge copying" title="being copied to the SSD">
      copying ${row.copyPercent ?? 0}%
    </span>`;
  }
  // The permanent copy: the HDD, a custom directory, or another tool's store.
  const home = row.store ?? (row.custom ? "custom" : "HDD");
  const label = { ssd: "SSD", hdd: home, custom: "custom", both: `SSD + ${home}` }[row.where] ??
    row.where;
  return html`<span class=${`badge where-${row.where}`}>${label}</span>${
    row.pinned
      ? html`
        <span class="badge pinned" title="pinned on the SSD">pinned</span>
      `
      : null
  }`;
}

// The API pins with every copy to the SSD (`primary`) and unpins with every
// eviction (`secondary`): "Cache" copies and pins, "Pin" and "Unpin" change
// only the pin of a copy already there (`api/models/pin`, as --pin and
// --unpin), "Evict" unpins and deletes the SSD copy (it asks first).
function Actions({ row, act }) {
  const n = row.name;
  const busy = row.status !== "unloaded";
  const button = (label, aria, onClick, opts = {}) =>
    html`
      <button type="button" class=${opts.danger ? "danger" : ""} aria-label=${aria}
        disabled=${opts.disabled ?? false} onClick=${onClick}>${label}</button>
    `;
  return html`<div class="row-actions">
    ${
    busy
      ? button("Unload", `Unload ${n}`, () => act.unload(row), { danger: true })
      : button("Load", `Load ${n}`, () => act.load(row))
  }
    ${
    row.onSsd || row.ssdOnly
      ? null
      : button("Cache", `Cache ${n} on the SSD`, () => act.cache(row), {
        disabled: row.where === "copying",
      })
  }
    ${
    row.onSsd && !row.ssdOnly
      ? row.pinned
        ? button("Unpin", `Unpin ${n}`, () => act.unpin(row))
        : button("Pin", `Pin ${n}`, () => act.pin(row))
      : null
  }
    ${
    row.onSsd && !row.ssdOnly
      ? button("Evict", `Evict ${n} from the SSD`, () => act.evict(row), { danger: true })
      : null
  }
  </div>`;
}

function Row({ row, hint, now, act }) {
  return html`
    <tr data-model=${row.id} data-status=${row.status} data-where=${row.where}>
      <th scope="row" data-label="Name" class="name">
          <span class="model-name">${row.name}</span>
          ${hint ? html`<span class="hint" title=${row.path}>${hint}</span>` : null}
          ${row.failed
            ? html`<span class="failed" role="note">last start failed: ${row.failed}</span>`
            : null}
        </th>
      <td data-label="Quant">${row.quant ?? "—"}</td>
      <td data-label="Params" class="num">${params(row.params)}</td>
      <td data-label="Size" class="num">${sizeMb(row.sizeMb)}</td>
      <td data-label="Where" class="where">
        <${WhereBadge} row=${row} />
      </td>
      <td data-label="Rank" class="num">${row.rank.toFixed(1)}</td>
      <td data-label="Uses" class="num">${row.uses}</td>
      <td data-label="Last used">${ago(row.lastUsed, now)}</td>
      <td data-label="Status"><span class=${`status status-${row.status}`}>${row.status}</span></td>
      <td class="actions">
        <${Actions} row=${row} act=${act} />
      </td>
    </tr>
  `;
}

/** The Models tab. */
export function ModelsView({ state, act }) {
  const [query, setQuery] = useState("");
  const [sort, setSort] = useState({ key: "rank", dir: -1 });
  const all = modelRows(state);
  const hints = twinHints(all);
  const rows = sortRows(filterRows(all, query), sort.key, sort.dir);
  const sortBy = (key) => {
    const col = COLUMNS.find((c) => c.key === key);
    setSort(sort.key === key ? { key, dir: -sort.dir } : { key, dir: col?.dir ?? 1 });
  };
  return html`<section class="panel" aria-labelledby="models-h">
    <div class="toolbar">
      <h2 id="models-h">Models <span class="count">${rows.length} of ${all.length}</span></h2>
      <input type="search" class="filter" placeholder="Filter: name, quant, path…"
        aria-label="Filter models" value=${query} onInput=${(e) => setQuery(e.target.value)} />
      <label class="sort-select">Sort by
        <select value=${`${sort.key}:${sort.dir}`}
          onChange=${(e) => {
    const [key, dir] = e.target.value.split(":");
    setSort({ key, dir: Number(dir) });
  }}>
          ${
    COLUMNS.flatMap((c) => [
      html`<option value=${`${c.key}:${c.dir}`}>${c.label} ${c.dir > 0 ? "↑" : "↓"}</option>`,
      html`<option value=${`${c.key}:${-c.dir}`}>${c.label} ${c.dir > 0 ? "↓" : "↑"}</option>`,
    ])
  }
        </select>
      </label>
    </div>
    ${
    all.length === 0
      ? html`<p class="empty">No models indexed yet. Run <code>llama-pack --update</code>, or register one.</p>`
      : html`
        <table class="models">
          <caption class="sr-only">Models, sorted by ${sort.key}</caption>
          <thead>
            <tr>
                ${COLUMNS.map((c) =>
                  html`
                    <th scope="col" aria-sort=${sort.key === c.key
                      ? (sort.dir > 0 ? "ascending" : "descending")
                      : "none"}>
                      <button type="button" class="sort" onClick=${() => sortBy(c.key)}>
                                  ${c
                                    .label}<span aria-hidden="true" class="arrow">${sort.key ===
                                      c.key
                                    ? (sort.dir > 0 ? " ▲" : " ▼")
                                    : ""}</span>
                                </button>
                    </th>
                  `
                )}
                <th scope="col"><span class="sr-only">Actions</span></th>
              </tr>
          </thead>
          <tbody>
                ${rows.map((r) =>
                  html`<${Row} key=${r.id} row=${r} hint=${
                    hints.get(r.id)
                  } now=${state.now} act=${act} />`
                )}
              </tbody>
        </table>
      `
  }
  </section>`;
}
