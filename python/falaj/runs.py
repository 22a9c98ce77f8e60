"""Runs from Python: params, metrics (batched in a background thread), artifacts, models."""
from __future__ import annotations

import threading
import time
import urllib.parse
from typing import Any, Dict, List, Optional

from .client import Client, FalajError

MAX_METRICS = 1000  # MLflow's log-batch limits, enforced by the server too
MAX_PARAMS = 100
MAX_TAGS = 100
MAX_ITEMS = 1000


class Run:
    """A run being logged. Metrics are buffered and sent in `log-batch` calls by a
    background thread (every `flush_interval` seconds or at 1,000 points); `end()` flushes
    everything before it ends the run. Use it as a context manager:

        with client.start_run("churn", name="xgb") as run:
            run.log_param("depth", 6)
            run.log_metric("auc", 0.91, step=1)
    """

    def __init__(self, client: Client, project: str, info: Dict[str, Any], flush_interval: float = 1.0):
        self.client = client
        self.project = project
        self.info = info
        self.id: str = info["id"]
        self._metrics: List[Dict[str, Any]] = []
        self._params: List[Dict[str, str]] = []
        self._tags: List[Dict[str, str]] = []
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._error: Optional[BaseException] = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(flush_interval,), daemon=True)
        self._thread.start()

    # -- logging -------------------------------------------------------------------------
    def log_param(self, key: str, value: Any) -> None:
        with self._lock:
            self._params.append({"key": key, "value": str(value)})

    def log_params(self, params: Dict[str, Any]) -> None:
        for key, value in params.items():
            self.log_param(key, value)

    def log_metric(self, key: str, value: float, step: int = 0) -> None:
        with self._lock:
            self._metrics.append({"key": key, "value": value, "step": step, "timestamp": int(time.time() * 1000)})
            full = len(self._metrics) >= MAX_METRICS
        if full:
            self.flush()

    def log_metrics(self, metrics: Dict[str, float], step: int = 0) -> None:
        for key, value in metrics.items():
            self.log_metric(key, value, step)

    def set_tag(self, key: str, value: str) -> None:
        with self._lock:
            self._tags.append({"key": key, "value": str(value)})

    def log_artifact(self, local_path: str, artifact_path: str) -> Dict[str, Any]:
        """Uploads a local file as `artifact_path` under the run (stored encrypted, by SHA-256)."""
        quoted = "/".join(urllib.parse.quote(part, safe="") for part in artifact_path.split("/"))
        with open(local_path, "rb") as f:
            data = f.read()
        import json
        with self.client.request("PUT", f"{self._run_path()}/artifacts/{quoted}", raw=data) as res:
            return json.loads(res.read().decode("utf-8"))

    def register_model(self, model: str, artifact_path: str, description: Optional[str] = None) -> Dict[str, Any]:
        """Registers the files under `artifact_path` as a new, signed version of `model`."""
        self.flush()
        base = f"/api/v1/projects/{urllib.parse.quote(self.project, safe='')}/models"
        try:
            self.client.call("POST", base, {"name": model})
        except FalajError as err:
            if err.code != "FALAJ_MODEL_EXISTS":
                raise
        body: Dict[str, Any] = {"source": f"runs:/{self.id}/{artifact_path}", "runId": self.id, "artifactPath": artifact_path}
        if description:
            body["description"] = description
        return self.client.call("POST", f"{base}/{urllib.parse.quote(model, safe='')}/versions", body)

    # -- sending -------------------------------------------------------------------------
    def flush(self) -> None:
        """Sends everything buffered; raises the first refusal from the server."""
        with self._send_lock:
            while True:
                with self._lock:
                    params, self._params = self._params[:MAX_PARAMS], self._params[MAX_PARAMS:]
                    tags, self._tags = self._tags[:MAX_TAGS], self._tags[MAX_TAGS:]
                    room = MAX_ITEMS - len(params) - len(tags)  # 1,000 items in all per batch
                    metrics, self._metrics = self._metrics[:room], self._metrics[room:]
                if not (metrics or params or tags):
                    break
                self.client.call("POST", f"{self._run_path()}/log-batch", {"metrics": metrics, "params": params, "tags": tags})
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def end(self, status: str = "FINISHED") -> Dict[str, Any]:
        """Flushes, stops the background thread and ends the run with `status`."""
        self._stop.set()
        self._thread.join()
        try:
            self.flush()
        finally:
            self.info = self.client.call("PATCH", self._run_path(), {"status": status})
        return self.info

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        self.end("FAILED" if kind else "FINISHED")

    def _loop(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.flush()
            except BaseException as err:  # kept and raised by the next flush() or end()
                self._error = err

    def _run_path(self) -> str:
        return f"/api/v1/projects/{urllib.parse.quote(self.project, safe='')}/runs/{self.id}"


def start_run(client: Client, experiment: str, name: Optional[str] = None, tags: Optional[Dict[str, str]] = None,
              project: Optional[str] = None, flush_interval: float = 1.0) -> Run:
    """Starts a run in `experiment` (created when missing)."""
    proj = project or client.project
    base = f"/api/v1/projects/{urllib.parse.quote(proj, safe='')}/experiments"
    try:
        exp = client.call("GET", f"{base}/by-name", query={"name": experiment})
    except FalajError as err:
        if err.code != "FALAJ_EXPERIMENT_NOT_FOUND":
            raise
        exp = client.call("POST", base, {"name": experiment})
    body: Dict[str, Any] = {"experimentId": exp["id"]}
    if name:
        body["name"] = name
    if tags:
        body["tags"] = tags
    run = client.call("POST", f"/api/v1/projects/{urllib.parse.quote(proj, safe='')}/runs", body)
    return Run(client, proj, run["info"], flush_interval)
