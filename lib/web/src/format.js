// Formatting for the dashboard (pure: no DOM, no clock; `now` is an argument).

const MB = 1024 * 1024;

/**
 * A size in mebibytes as people read it: "812 MB", "4.7 GB", "1.2 TB".
 * @param {number | null | undefined} mb
 * @returns {string}
 */
export function sizeMb(mb) {
  if (mb === null || mb === undefined || !Number.isFinite(mb)) return "—";
  if (mb < 1024) return `${Math.round(mb)} MB`;
  const gb = mb / 1024;
  if (gb < 1024) return `${gb < 10 ? gb.toFixed(1) : Math.round(gb)} GB`;
  return `${(gb / 1024).toFixed(1)} TB`;
}

/**
 * A size in bytes: see {@link sizeMb}.
 * @param {number | null | undefined} bytes
 * @returns {string}
 */
export function sizeBytes(bytes) {
  return bytes === null || bytes === undefined ? "—" : sizeMb(bytes / MB);
}

/**
 * A size in gigabytes with one decimal below 100, in terabytes from 1000.
 * @param {number | null | undefined} gb
 * @returns {string}
 */
export function sizeGb(gb) {
  if (gb === null || gb === undefined || !Number.isFinite(gb)) return "—";
  if (gb >= 1000) return `${(gb / 1024).toFixed(1)} TB`;
  return `${gb < 100 ? gb.toFixed(1) : Math.round(gb)} GB`;
}

/**
 * A parameter count: "8B", "1.5B", "470M".
 * @param {number | string | null | undefined} n
 * @returns {string}
 */
export function params(n) {
  if (typeof n === "string") return n;
  if (n === null || n === undefined || !Number.isFinite(n) || n <= 0) return "—";
  if (n >= 1e9) return `${n >= 1e10 ? Math.round(n / 1e9) : +(n / 1e9).toFixed(1)}B`;
  return `${Math.round(n / 1e6)}M`;
}

/**
 * How long ago a unix time was: "just now", "5 min ago", "3 h ago", "2 d ago".
 * @param {number | null | undefined} t Unix seconds.
 * @param {number} now Unix seconds.
 * @returns {string}
 */
export function ago(t, now) {
  if (t === null || t === undefined || !Number.isFinite(t) || t <= 0) return "never";
  const s = Math.max(0, now - t);
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/**
 * A duration in seconds: "42 s", "3 min 5 s", "2 h 10 min".
 * @param {number | null | undefined} s
 * @returns {string}
 */
export function duration(s) {
  if (s === null || s === undefined || !Number.isFinite(s) || s < 0) return "—";
  if (s < 60) return `${Math.round(s)} s`;
  const whole = Math.round(s);
  if (whole < 3600) {
    const rest = whole % 60;
    return `${Math.floor(whole / 60)} min${rest ? ` ${rest} s` : ""}`;
  }
  const min = Math.round((whole % 3600) / 60);
  return `${Math.floor(whole / 3600)} h${min ? ` ${min} min` : ""}`;
}

/**
 * A transfer speed in bytes per second: "180 MB/s".
 * @param {number | null | undefined} bps
 * @returns {string}
 */
export function speed(bps) {
  return bps === null || bps === undefined || !(bps > 0) ? "—" : `${sizeBytes(bps)}/s`;
}

/**
 * The colour of a usage bar, as the guide has it: green below 75 %, yellow
 * up to 90 %, red above.
 * @param {number} percent
 * @returns {"green" | "yellow" | "red"}
 */
export function usageColor(percent) {
  if (percent < 75) return "green";
  if (percent <= 90) return "yellow";
  return "red";
}

/**
 * Names that tell twins apart: each model's name, and for models whose
 * names are equal, as many of the last folders of their paths as it takes
 * to make them differ ("hdd/qwen/…" vs "ssd/other/…").
 * @param {{ id: string, name: string, path: string }[]} models
 * @returns {Map<string, string>} The path hint by model id ("" when the name is unique).
 */
export function twinHints(models) {
  /** @type {Map<string, {id: string, path: string}[]>} */
  const byName = new Map();
  for (const m of models) {
    const key = m.name.toLowerCase();
    byName.set(key, [...(byName.get(key) ?? []), m]);
  }
  const hints = new Map();
  for (const group of byName.values()) {
    if (group.length === 1) {
      hints.set(group[0].id, "");
      continue;
    }
    const dirs = group.map((m) => m.path.split("/").slice(0, -1).filter((p) => p !== ""));
    const longest = Math.max(...dirs.map((d) => d.length));
    let depth = 1;
    while (depth < longest) {
      const tails = dirs.map((d) => d.slice(-depth).join("/"));
      if (new Set(tails).size === tails.length) break;
      depth++;
    }
    group.forEach((m, i) => {
      const d = dirs[i];
      hints.set(m.id, (d.length > depth ? "…/" : "/") + d.slice(-depth).join("/"));
    });
  }
  return hints;
}

/**
 * The line under a tier's bar: against its limit, or (without one) its
 * files and the disk the bar then measures.
 * @param {any} t A tier of GET api/cache/stats.
 * @returns {string}
 */
export function tierFigures(t) {
  if (t.limit_gb) {
    return `${sizeGb(t.used_gb)} used of ${sizeGb(t.limit_gb)} · ${sizeGb(t.free_gb)} free`;
  }
  const disk = t.disk_total_gb
    ? `disk: ${sizeGb(t.disk_free_gb)} free of ${sizeGb(t.disk_total_gb)}`
    : `${sizeGb(t.free_gb)} free`;
  return `${sizeGb(t.used_gb)} of models · ${disk}`;
}
