"""HTTP client for the Falaj API (urllib only)."""
from __future__ import annotations

import csv
import io
import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterable, List, Optional


class FalajError(Exception):
    """An error answer from Falaj (RFC 9457 problem details) or a transport failure."""

    def __init__(self, status: int, code: str, message: str, request_id: Optional[str] = None):
        super().__init__(f"{message} ({code}, HTTP {status})" if status else f"{message} ({code})")
        self.status = status
        self.code = code
        self.request_id = request_id


def _credentials_path() -> str:
    if os.environ.get("FALAJ_CREDENTIALS_FILE"):
        return os.environ["FALAJ_CREDENTIALS_FILE"]
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "falaj", "credentials.json")


class Client:
    """A Falaj client. Server and token come from the arguments, then FALAJ_SERVER /
    FALAJ_TOKEN, then the credentials file that `falaj up` and `falaj login` write."""

    def __init__(self, server: Optional[str] = None, token: Optional[str] = None, project: Optional[str] = None,
                 ca_file: Optional[str] = None, timeout: float = 60.0):
        saved: Dict[str, Any] = {}
        try:
            with open(_credentials_path(), encoding="utf-8") as f:
                saved = json.load(f)
        except FileNotFoundError:
            pass
        self.server = (server or os.environ.get("FALAJ_SERVER") or saved.get("server") or "").rstrip("/")
        self.token = token or os.environ.get("FALAJ_TOKEN") or saved.get("token")
        self.project = project or saved.get("project") or "default"
        if not self.server or not self.token:
            raise FalajError(0, "FALAJ_NOT_LOGGED_IN", "not logged in: pass server and token, set FALAJ_SERVER and FALAJ_TOKEN, or run falaj login")
        ca = ca_file or saved.get("caFile")
        self._ssl = ssl.create_default_context(cafile=ca) if ca else None
        self.timeout = timeout

    # -- transport -----------------------------------------------------------------------
    def request(self, method: str, path: str, body: Any = None, query: Optional[Dict[str, Any]] = None,
                raw: Optional[bytes] = None, content_type: Optional[str] = None) -> urllib.request.addinfourl:
        url = self.server + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        elif raw is not None:
            data = raw
            headers["Content-Type"] = content_type or "application/octet-stream"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            return urllib.request.urlopen(req, timeout=self.timeout, context=self._ssl)
        except urllib.error.HTTPError as err:
            text = err.read().decode("utf-8", "replace")
            try:
                problem = json.loads(text)
            except ValueError:
                problem = {}
            raise FalajError(err.code, problem.get("code", f"HTTP_{err.code}"), problem.get("detail") or problem.get("title") or text[:200],
                             problem.get("requestId")) from None
        except urllib.error.URLError as err:
            raise FalajError(0, "FALAJ_SERVER_UNREACHABLE", f"cannot reach {self.server}: {err.reason}") from None

    def call(self, method: str, path: str, body: Any = None, query: Optional[Dict[str, Any]] = None) -> Any:
        with self.request(method, path, body, query) as res:
            text = res.read().decode("utf-8")
        return json.loads(text) if text else None

    def _p(self, project: Optional[str]) -> str:
        return urllib.parse.quote(project or self.project, safe="")

    # -- tracking ------------------------------------------------------------------------
    def start_run(self, experiment: str, name: Optional[str] = None, tags: Optional[Dict[str, str]] = None,
                  project: Optional[str] = None, flush_interval: float = 1.0):
        """Starts a run (see falaj.runs.Run); the experiment is created when missing."""
        from .runs import start_run
        return start_run(self, experiment, name, tags, project, flush_interval)

    def get_run(self, run_id: str, project: Optional[str] = None) -> Dict[str, Any]:
        return self.call("GET", f"/api/v1/projects/{self._p(project)}/runs/{run_id}")

    # -- identity ------------------------------------------------------------------------
    def whoami(self) -> Dict[str, Any]:
        return self.call("GET", "/api/v1/whoami")

    # -- feature store -------------------------------------------------------------------
    def online_features(self, feature_service: str, entities: Dict[str, List[Any]], project: Optional[str] = None,
                        full_feature_names: bool = False) -> List[Dict[str, Any]]:
        """Online values, one dict per entity row: {feature: value}, plus `_statuses`."""
        answer = self.call("POST", f"/api/v1/projects/{self._p(project)}/features/online",
                           {"featureService": feature_service, "entities": entities, "fullFeatureNames": full_feature_names})
        names = answer["featureNames"]
        rows = len(answer["results"][0]["values"]) if answer["results"] else 0
        out = []
        for r in range(rows):
            row = {name: answer["results"][i]["values"][r] for i, name in enumerate(names)}
            row["_statuses"] = {name: answer["results"][i]["statuses"][r] for i, name in enumerate(names)}
            out.append(row)
        return out

    def push(self, push_source: str, rows: List[Dict[str, Any]], to: str = "online", project: Optional[str] = None) -> Dict[str, Any]:
        return self.call("POST", f"/api/v1/projects/{self._p(project)}/push", {"pushSource": push_source, "rows": rows, "to": to})

    def build_dataset(self, feature_service: str, spine_path: str, project: Optional[str] = None) -> Dict[str, Any]:
        """Uploads a spine (Parquet or CSV file) and builds a point-in-time-correct training set."""
        with open(spine_path, "rb") as f:
            data = f.read()
        fmt = "csv" if spine_path.lower().endswith(".csv") else "parquet"
        with self.request("POST", f"/api/v1/projects/{self._p(project)}/datasets", raw=data,
                          query={"featureService": feature_service, "format": fmt}) as res:
            return json.loads(res.read().decode("utf-8"))

    def download_dataset(self, dataset_id: str, project: Optional[str] = None) -> List[Dict[str, str]]:
        """A training set as a list of dicts (CSV converted by the server; values are strings)."""
        with self.request("GET", f"/api/v1/projects/{self._p(project)}/datasets/{urllib.parse.quote(dataset_id)}/data",
                          query={"format": "csv"}) as res:
            text = io.TextIOWrapper(res, encoding="utf-8", newline="")
            return list(csv.DictReader(text))

    def save_dataset(self, dataset_id: str, out_path: str, project: Optional[str] = None) -> str:
        """Downloads the Parquet file as registered and checks its SHA-256; returns the digest."""
        import hashlib
        digest = hashlib.sha256()
        with self.request("GET", f"/api/v1/projects/{self._p(project)}/datasets/{urllib.parse.quote(dataset_id)}/data") as res, \
                open(out_path, "wb") as out:
            expected = res.headers.get("x-falaj-sha256")
            for chunk in iter(lambda: res.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)
        if expected and digest.hexdigest() != expected:
            raise FalajError(0, "FALAJ_CRYPTO_TAMPERED", f"{out_path} does not match the registered SHA-256")
        return digest.hexdigest()
