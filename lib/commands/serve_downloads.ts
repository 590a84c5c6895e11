/**
 * One download of `--serve`'s cache API (`POST /api/models` with an
 * `hf_path`): `--pull`'s `executePull` with its room already checked,
 * progress as `download_progress` events, then a scan so the model is
 * indexed at once, and `download_finished` saying what it became. Each file
 * is recorded in the state store as `--pull` records it, so `--status` shows
 * it. An interrupted download keeps its part for the next one to resume.
 *
 * @module
 */

import { type ApiEvent, apiEvent } from "../core/api_events.ts";
import type { IndexedModel } from "../core/model_index.ts";
import { formatSize } from "../core/units.ts";
import { executePull, type PullEvent } from "../hub/pull_run.ts";
import { recordPullInStore } from "../hub/pull_record.ts";
import { pullArgs } from "../core/download_status.ts";
import type { DownloadRequest, TransferDeps } from "./serve_transfers.ts";

const percent = (done: number, total: number) =>
  total > 0 ? Math.round((done / total) * 1000) / 10 : 100;

/**
 * Runs one download and reports it (see the module doc); never throws.
 *
 * @param d The transfers' dependencies.
 * @param request The plan, the hub, what was asked for and where it goes.
 * @param id The download's id.
 * @param options The abort signal, and where the latest progress event goes.
 */
export async function runDownload(
  d: TransferDeps,
  request: DownloadRequest,
  id: number,
  options: { signal: AbortSignal; progress: (e: ApiEvent) => void },
): Promise<void> {
  const { plan } = request;
  const total = plan.totalBytes;
  const started = performance.now();
  let fetched = 0;
  const finish = (
    state: "done" | "failed",
    message: string,
    model: IndexedModel | undefined,
  ) => {
    d.publish(apiEvent("download_finished", {
      download_id: id,
      label: plan.label,
      state,
      message,
      model_id: model?.id ?? null,
      model_name: model?.name ?? null,
      bytes_fetched: fetched,
      seconds: Math.round((performance.now() - started) / 10) / 100,
    }));
    d.log(`download ${id} (${plan.label}): ${state}: ${message}`);
  };
  d.publish(apiEvent("download_started", {
    download_id: id,
    hf_path: request.hfPath,
    label: plan.label,
    cache_location: request.location,
    dir: plan.target.dir,
    files: plan.files.length,
    bytes_total: total,
    bytes_needed: plan.needBytes,
  }));
  try {
    const result = await executePull(plan, {
      hub: request.hub,
      stateDir: d.stateDir,
      signal: options.signal,
      // Recorded as --pull records it, so --status shows it; resumable with the same --pull.
      record: recordPullInStore(d.store.downloads, {
        now: d.now,
        pullArgs: pullArgs({ ref: request.hfPath, to: resumeTo(request) }),
      }),
      progressIntervalMs: 500,
      onEvent: (e: PullEvent) => {
        if (e.type !== "progress") return;
        const ev = apiEvent("download_progress", {
          download_id: id,
          label: plan.label,
          path: e.path,
          phase: e.phase,
          bytes_done: e.bytesDone,
          bytes_total: e.totalBytes,
          percent: percent(e.bytesDone, e.totalBytes),
          bytes_per_second: Math.round(e.bytesPerSecond),
          eta_seconds: e.etaSeconds === undefined ? null : Math.round(e.etaSeconds),
        });
        options.progress(ev);
        d.publish(ev);
      },
    });
    fetched = result.fetched;
    const index = await d.rescan();
    const model = index.find((m) =>
      [m.hdd, m.ssd].some((c) => c?.files.some((f) => f.path === result.modelPath))
    );
    request.onIndexed?.(model);
    finish(
      "done",
      `downloaded ${plan.label} (${
        formatSize(fetched)
      } fetched) into ${plan.target.dir}, every sha256 verified${
        model ? `; indexed as ${model.name}` : "; the scan did not find it"
      }`,
      model,
    );
    d.changed("downloaded", model ? [model.id] : []);
  } catch (err) {
    finish("failed", err instanceof Error ? err.message : String(err), undefined);
  }
}

/** The `--to` of the `--pull` that resumes a download: the location, or the custom directory. */
function resumeTo(request: DownloadRequest): string {
  return request.location === "custom" ? request.plan.target.dir : request.location;
}
