// The tier cards (the guide's cache stats): path, used and limit, a bar
// green below 75 %, yellow below 90 %, red above, and a banner past the
// warning threshold.
import { html, useState } from "./html.js";
import { tierFigures, usageColor } from "./format.js";

/**
 * The tiers of a stats document, each with its label.
 * @param {any} stats GET api/cache/stats.
 */
export function tiersOf(stats) {
  if (!stats) return [];
  const out = [];
  if (stats.primary) out.push({ key: "primary", label: "Primary · SSD", ...stats.primary });
  if (stats.secondary) out.push({ key: "secondary", label: "Secondary · HDD", ...stats.secondary });
  (stats.custom ?? []).forEach((c, i) => out.push({ key: `custom-${i}`, label: "Custom", ...c }));
  return out;
}

function percent(t) {
  return Math.max(0, Number(t.usage_percent ?? 0));
}

function TierCard({ tier, threshold }) {
  const p = percent(tier);
  const color = tier.color ?? usageColor(p);
  return html`
    <article class=${`tier tier-${tier.key}`} data-tier=${tier.key}
      aria-label=${`${tier.label} tier`}>
        <header>
          <h3>${tier.label}</h3>
          <span class="pct">${p.toFixed(p < 10 ? 1 : 0)}%</span>
        </header>
        <p class="path" title=${tier.path}>${tier.path}</p>
        <div class=${`bar ${color}`} data-color=${color} role="progressbar" aria-valuemin="0"
          aria-valuemax="100" aria-valuenow=${Math.round(p)}
          aria-label=${`${tier.label} usage`}>
          <span style=${{ width: `${Math.min(100, p)}%` }}></span>
        </div>
        <p class="figures">${tierFigures(tier)}</p>
        ${tier.error ? html`<p class="warning">${tier.error}</p>` : null}
        ${tier.warning
          ? html`<p class="warning">
          Past the ${Math.round((threshold ?? 0.9) * 100)}% warning threshold.
        </p>`
          : null}
      </article>
  `;
}

/** The tier cards with the refresh button. */
export function TierCards({ stats, act }) {
  const [busy, setBusy] = useState(false);
  const tiers = tiersOf(stats);
  const warned = tiers.filter((t) => t.warning);
  const refresh = async () => {
    setBusy(true);
    try {
      await act.refreshStats();
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="tiers" aria-labelledby="tiers-h">
    <div class="toolbar">
      <h2 id="tiers-h">Cache tiers</h2>
      <button type="button" class="refresh" onClick=${refresh} disabled=${busy}>
        ${busy ? "Refreshing…" : "Refresh cache stats"}
      </button>
    </div>
    ${
    warned.length > 0
      ? html`<p class="banner warn" role="alert">
          ${warned.map((t) => t.label).join(", ")} ${warned.length === 1 ? "is" : "are"} past
          the warning threshold (${Math.round((stats.threshold ?? 0.9) * 100)}% full).
        </p>`
      : null
  }
    ${
    tiers.length === 0
      ? html`<p class="empty">Reading the tiers…</p>`
      : html`<div class="cards">${
        tiers.map((t) => html`<${TierCard} key=${t.key} tier=${t} threshold=${stats.threshold} />`)
      }</div>`
  }
  </section>`;
}
