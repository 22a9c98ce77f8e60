"""The MLflow 2.x client's HTTP calls, made the way it makes them, over a real port.

mlflow/utils/rest_utils.py sends every call through `requests`: GET with the message as
query parameters (`params=`), POST/PATCH/DELETE with it as a JSON body (`json=`), and
`Authorization: Bearer $MLFLOW_TRACKING_TOKEN`. The artifact proxy
(mlflow/store/artifact/http_artifact_repo.py) PUTs an open file (`data=f`) with the
guessed MIME type, lists with `GET .../mlflow-artifacts/artifacts?path=`, and downloads
with a streamed GET. This script replays `start_run / log_param / log_metric /
log_artifact / end_run / register_model / set alias / download` that way and prints
what came back, as JSON, for the test to check.
"""
import json
import os
import sys
import tempfile
import time

import requests

BASE = os.environ["MLFLOW_TRACKING_URI"].rstrip("/")
HEADERS = {"Authorization": f"Bearer {os.environ['MLFLOW_TRACKING_TOKEN']}", "User-Agent": "mlflow-python-client/2.14.1"}
session = requests.Session()


def call(method, endpoint, message):
    kwargs = {"params": message} if method == "GET" else {"json": message}
    r = session.request(method, f"{BASE}/api/2.0/mlflow/{endpoint}", headers=HEADERS, **kwargs)
    body = r.json()
    if r.status_code != 200:
        raise RuntimeError(f"{endpoint}: {r.status_code} {body.get('error_code')}: {body.get('message')}")
    return body


def artifact_url(artifact_uri, path=""):
    rest = artifact_uri[len("mlflow-artifacts:/"):]
    return f"{BASE}/api/2.0/mlflow-artifacts/artifacts/{rest}" + (f"/{path}" if path else "")


out = {}
created = call("POST", "runs/create", {"experiment_id": "0", "user_id": "ada", "start_time": int(time.time() * 1000),
                                        "tags": [{"key": "mlflow.user", "value": "ada"}, {"key": "mlflow.source.type", "value": "LOCAL"}]})
run_id = created["run"]["info"]["run_id"]
call("POST", "runs/log-parameter", {"run_uuid": run_id, "run_id": run_id, "key": "lr", "value": "0.01"})
call("POST", "runs/log-metric", {"run_uuid": run_id, "run_id": run_id, "key": "rmse", "value": 0.5, "timestamp": int(time.time() * 1000), "step": 0})

artifact_uri = call("GET", "runs/get", {"run_uuid": run_id, "run_id": run_id})["run"]["info"]["artifact_uri"]
workdir = tempfile.mkdtemp()
for relative, content, mime in [("output.txt", b"Hello world!", "text/plain"), ("model/model.pkl", os.urandom(200_000), "application/octet-stream")]:
    local = os.path.join(workdir, os.path.basename(relative))
    with open(local, "wb") as f:
        f.write(content)
    with open(local, "rb") as f:
        r = session.put(artifact_url(artifact_uri, relative), data=f, headers={**HEADERS, "Content-Type": mime})
    r.raise_for_status()
    out.setdefault("uploaded", {})[relative] = len(content)

# a body of unknown length goes chunked (Transfer-Encoding: chunked)
r = session.put(artifact_url(artifact_uri, "logs/train.log"), data=(b"line %d\n" % i for i in range(1000)), headers={**HEADERS, "Content-Type": "text/plain"})
r.raise_for_status()

call("POST", "runs/update", {"run_uuid": run_id, "run_id": run_id, "status": "FINISHED", "end_time": int(time.time() * 1000)})

r = session.get(f"{BASE}/api/2.0/mlflow-artifacts/artifacts", params={"path": artifact_uri[len("mlflow-artifacts:/"):]}, headers=HEADERS)
r.raise_for_status()
out["root_listing"] = r.json()

call("POST", "registered-models/create", {"name": "wire-model"})
source = f"{artifact_uri}/model"
version = call("POST", "model-versions/create", {"name": "wire-model", "source": source, "run_id": run_id})["model_version"]
out["version"] = version
call("POST", "registered-models/alias", {"name": "wire-model", "alias": "challenger", "version": version["version"]})
out["by_alias"] = call("GET", "registered-models/alias", {"name": "wire-model", "alias": "challenger"})["model_version"]["version"]
out["latest"] = [v["version"] for v in call("POST", "registered-models/get-latest-versions", {"name": "wire-model"})["model_versions"]]

download_uri = call("GET", "model-versions/get-download-uri", {"name": "wire-model", "version": version["version"]})["artifact_uri"]
with session.get(artifact_url(download_uri, "model.pkl"), headers=HEADERS, stream=True) as r:
    r.raise_for_status()
    data = b"".join(r.iter_content(chunk_size=8192))
with open(os.path.join(workdir, "model.pkl"), "rb") as f:
    out["download_matches"] = data == f.read()
out["sha256_header"] = r.headers.get("x-falaj-artifact-sha256")

call("DELETE", "registered-models/alias", {"name": "wire-model", "alias": "challenger"})
r = session.request("GET", f"{BASE}/api/2.0/mlflow/registered-models/alias", params={"name": "wire-model", "alias": "challenger"}, headers=HEADERS)
out["after_delete"] = [r.status_code, r.json().get("error_code")]
out["run_id"] = run_id
json.dump(out, sys.stdout)
