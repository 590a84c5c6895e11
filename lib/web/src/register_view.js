// The guide's "Register New Model": a model already indexed or a Hugging
// Face `repo[:quant]`, a location, the space check live (fits / would pass
// the warning threshold / does not fit) with the recommended tier
// pre-selected, then register or download with progress.
import { html, useEffect, useRef, useState } from "./html.js";
import { sizeMb } from "./format.js";
import { percentOf } from "./store.js";

const LOCATIONS = [
  { key: "primary", label: "Primary (fast SSD)", hint: "models you use often" },
  { key: "secondary", label: "Secondary (HDD)", hint: "occasional use, archive" },
  { key: "custom", label: "Custom path", hint: "one of the configured custom directories" },
];

/** A Hugging Face `owner/repo` with an optional `:quant`. */
const HF = /^[\w.-]+\/[\w.-]+(:[\w.-]+)?$/;

/**
 * What a check answer means for the user.
 * @param {any} c GET api/cache/check.
 * @returns {{word: "fits" | "warn" | "no", text: string}}
 */
export function verdict(c) {
  if (!c) return { word: "fits", text: "…" };
  if (!c.fits) {
    return { word: "no", text: `does not fit: ${sizeMb(c.available_mb)} free` };
  }
  if (c.would_exceed_warning) {
    return { word: "warn", text: `fits, but would pass the warning threshold` };
  }
  return { word: "fits", text: `fits: ${sizeMb(c.available_mb)} free` };
}

/** The Register tab. */
export function RegisterView({ state, act }) {
  const models = Object.entries(state.models);
  const [name, setName] = useState("");
  const [sizeInput, setSizeInput] = useState("");
  const [location, setLocation] = useState("");
  // A ref, not state: the check's answer arrives later and must see a
  // choice made meanwhile (the user's pick wins over the recommendation).
  const picked = useRef(false);
  const [customPath, setCustomPath] = useState("");
  const [checks, setChecks] = useState({});
  const [recommended, setRecommended] = useState(null);
  const [result, setResult] = useState(null);
  const seq = useRef(0);

  const known = models.find(([id, m]) => id === name || (m.name ?? m.model_name) === name);
  const size = known ? Number(known[1].model_size_mb) : Number(sizeInput);
  const isHf = !known && HF.test(name.trim());
  const customPaths = (state.stats?.custom ?? []).map((c) => c.path);

  useEffect(() => {
    if (!(size > 0)) {
      setChecks({});
      setRecommended(null);
      return;
    }
    const mine = ++seq.current;
    const timer = setTimeout(async () => {
      try {
        const [rec, ...answers] = await Promise.all([
          act.recommend(size),
          ...LOCATIONS.filter((l) => l.key !== "custom" || customPaths.length > 0)
            .map((l) => act.check(l.key, size).then((c) => [l.key, c])),
        ]);
        if (mine !== seq.current) return;
        setChecks(Object.fromEntries(answers));
        setRecommended(rec?.recommended_cache ?? null);
        if (!picked.current && rec?.recommended_cache) setLocation(rec.recommended_cache);
      } catch (err) {
        if (mine === seq.current) setChecks({ error: String(err.message ?? err) });
      }
    }, 200);
    return () => clearTimeout(timer);
  }, [size, customPaths.join("\n")]);

  const chosen = checks[location];
  const blocked = !location || !(size > 0) || (chosen && !chosen.fits) ||
    (!known && !isHf) || (location === "custom" && !customPath && customPaths.length > 0);

  const submit = async (e) => {
    e.preventDefault();
    if (blocked) return;
    setResult({ state: "running", text: known ? "Registering…" : "Starting the download…" });
    const body = { model_name: known ? known[0] : name.trim(), cache_location: location };
    if (location === "custom") body.cache_path = customPath || customPaths[0];
    if (!known) {
      body.hf_path = name.trim();
      body.estimated_size_mb = size;
    }
    try {
      const answer = await act.register(body);
      setResult({
        state: "done",
        model: known ? known[0] : body.hf_path,
        text: answer?.message ?? answer?.reason ?? "Done.",
      });
    } catch (err) {
      setResult({ state: "error", text: String(err.message ?? err) });
    }
  };

  const transfer = result?.model
    ? Object.values(state.copies).find((c) => c.model_id === result.model) ??
      Object.values(state.downloads).find((d) => d.hf_path === result.model)
    : undefined;

  return html`<section class="panel register" aria-labelledby="register-h">
    <h2 id="register-h">Register new model</h2>
    <form onSubmit=${submit} novalidate>
      <label class="field">Model
        <input name="model" list="known-models" autocomplete="off" required
          placeholder="an indexed model, or owner/repo:Q4_K_M from Hugging Face"
          value=${name} onInput=${(e) => setName(e.target.value)} />
      </label>
      <datalist id="known-models">${
    models.map(([id, m]) => html`<option value=${id}>${m.name ?? m.model_name}</option>`)
  }</datalist>
      <p class="hint-line">${
    known
      ? `Indexed: ${sizeMb(size)} at ${known[1].path ?? ""}`
      : isHf
      ? "Not indexed: it will be downloaded from Hugging Face."
      : name
      ? "Not an indexed model nor an owner/repo[:quant] name."
      : ""
  }</p>
      <label class="field">Estimated size (MB)
        <input name="size" type="number" min="1" inputmode="numeric" disabled=${Boolean(known)}
          value=${known ? Math.round(size) : sizeInput}
          onInput=${(e) => setSizeInput(e.target.value)} />
      </label>
      <fieldset class="locations">
        <legend>Location</legend>
        ${
    LOCATIONS.map((l) => {
      const v = checks[l.key] ? verdict(checks[l.key]) : null;
      const unavailable = l.key === "custom" && customPaths.length === 0;
      return html`
        <label class=${`location ${v ? `check-${v.word}` : ""}`} data-location=${l.key}>
          <input type="radio" name="location" value=${l.key} checked=${location === l.key}
            disabled=${unavailable}
            onChange=${() => {
              setLocation(l.key);
              picked.current = true;
            }} />
          <span class="loc-label">${l.label}${recommended === l.key
            ? html`
              <span class="badge rec">recommended</span>
            `
            : null}</span>
          <span class="loc-check" data-check=${v?.word ?? ""}>${unavailable
            ? "no custom_paths configured"
            : v
            ? v.text
            : l.hint}</span>
        </label>
      `;
    })
  }
        ${
    location === "custom" && customPaths.length > 0
      ? html`<label class="field">Custom directory
            <select value=${customPath || customPaths[0]}
              onChange=${(e) => setCustomPath(e.target.value)}>
              ${customPaths.map((p) => html`<option value=${p}>${p}</option>`)}
            </select></label>`
      : null
  }
      </fieldset>
      ${checks.error ? html`<p class="banner error" role="alert">${checks.error}</p>` : null}
      <button type="submit" class="primary" disabled=${blocked}>
        ${known ? "Register" : "Download"}
      </button>
    </form>
    ${
    result
      ? html`<div class=${`result ${result.state}`} role="status">
          <p>${result.text}</p>
          ${
        transfer
          ? html`
            <div class="bar blue" role="progressbar" aria-valuemin="0" aria-valuemax="100"
              aria-valuenow=${percentOf(transfer)} aria-label="progress">
                          <span style=${{ width: `${percentOf(transfer)}%` }}></span></div>
            <p class="figures">${percentOf(transfer)}% · ${transfer.model_name ??
              transfer.label}</p>
          `
          : null
      }
        </div>`
      : null
  }
  </section>`;
}
