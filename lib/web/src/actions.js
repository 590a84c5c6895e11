// What the page's buttons do: each calls the API (the same routes a script
// would), asks first when it destroys something, and shows what went wrong.
import { ApiError, call, KeyNeeded } from "./api.js";
import { displayName } from "./store.js";

/**
 * The names of the copies a 409 of `POST api/models` says a copy to the SSD
 * would evict (`would_evict`), if that is why it was refused.
 * @param {unknown} err
 * @returns {string[] | undefined}
 */
export function evictionsOf(err) {
  if (!(err instanceof ApiError) || err.status !== 409) return undefined;
  const body = err.body && typeof err.body === "object" ? err.body : {};
  const list = body.would_evict;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  return list.map((v) => displayName(v.model_name ?? v.model_id));
}

/**
 * The page's actions.
 * @param {(action: object) => void} dispatch
 * @param {(ask: {title: string, text: string, confirm: string}) => Promise<boolean>} confirm
 * @param {() => Promise<void>} reload Fetches the snapshots again.
 */
export function makeActions(dispatch, confirm, reload) {
  const run = async (what, fn) => {
    try {
      dispatch({ type: "notice", notice: null });
      const out = await fn();
      await reload();
      return out;
    } catch (err) {
      if (err instanceof KeyNeeded) dispatch({ type: "key", prompt: "refused" });
      else dispatch({ type: "notice", notice: `${what}: ${err.message}` });
      throw err;
    }
  };
  const quiet = (p) => p.catch(() => {});
  const register = (body) => call("POST", "api/models", body);
  /** Copies (and pins) on the SSD; asks before evicting other copies for it. */
  const toSsd = async (m) => {
    const body = { model_name: m.id, cache_location: "primary" };
    try {
      return await register(body);
    } catch (err) {
      const victims = evictionsOf(err);
      if (!victims) throw err;
      const ok = await confirm({
        title: `Make room for ${m.name}?`,
        text: `Copying it to the SSD evicts ${victims.join(", ")} (each loads from the HDD until ` +
          "it is cached again).",
        confirm: "Evict and copy",
      });
      return ok ? await register({ ...body, allow_evict: true }) : undefined;
    }
  };
  return {
    load: (m) => quiet(run(`load ${m.name}`, () => call("POST", "models/load", { model: m.id }))),
    unload: async (m) => {
      const ok = await confirm({
        title: `Stop ${m.name}?`,
        text: "Its server stops; requests in flight to it are cut off.",
        confirm: "Stop the server",
      });
      if (ok) {
        await quiet(run(`unload ${m.name}`, () => call("POST", "models/unload", { model: m.id })));
      }
    },
    cache: (m) => quiet(run(`cache ${m.name}`, () => toSsd(m))),
    evict: async (m) => {
      const ok = await confirm({
        title: `Evict ${m.name} from the SSD?`,
        text: "Its SSD copy is deleted (the HDD original is checked first); it is unpinned and " +
          "kept on the HDD until you cache it again.",
        confirm: "Evict",
      });
      if (ok) {
        await quiet(
          run(`evict ${m.name}`, () => register({ model_name: m.id, cache_location: "secondary" })),
        );
      }
    },
    pin: (m) =>
      quiet(
        run(
          `pin ${m.name}`,
          () => call("POST", "api/models/pin", { model_name: m.id, pinned: true }),
        ),
      ),
    unpin: (m) =>
      quiet(
        run(`unpin ${m.name}`, () =>
          call("POST", "api/models/pin", { model_name: m.id, pinned: false })),
      ),
    refreshStats: () =>
      quiet(run("refresh", async () => {
        const pass = await call("POST", "api/cache/refresh");
        if (pass?.stats) dispatch({ type: "stats", stats: pass.stats });
        return pass;
      })),
    check: (loc, mb) =>
      call("GET", `api/cache/check?cache_location=${loc}&required_space_mb=${Math.ceil(mb)}`),
    recommend: (mb) => call("GET", `api/cache/recommend?estimated_size_mb=${Math.ceil(mb)}`),
    register: (body) => run(`register ${body.model_name}`, () => register(body)),
  };
}
