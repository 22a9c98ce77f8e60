"""The real MLflow client against Falaj, when the `mlflow` package is installed (MLflow 2.x).

Run by test/mlflow/python-client.test.ts with MLFLOW_TRACKING_URI and
MLFLOW_TRACKING_TOKEN set; prints what it saw as JSON.
"""
import json
import os
import sys
import tempfile

import mlflow
from mlflow import MlflowClient

workdir = tempfile.mkdtemp()
mlflow.set_experiment("real-client")
with mlflow.start_run() as run:
    mlflow.log_param("lr", 0.01)
    mlflow.log_metric("rmse", 0.5)
    with open(os.path.join(workdir, "output.txt"), "w") as f:
        f.write("Hello world!")
    mlflow.log_artifact(os.path.join(workdir, "output.txt"))
    with open(os.path.join(workdir, "model.pkl"), "wb") as f:
        f.write(b"weights")
    mlflow.log_artifact(os.path.join(workdir, "model.pkl"), artifact_path="model")

version = mlflow.register_model(f"runs:/{run.info.run_id}/model", "real-model")
client = MlflowClient()
client.set_registered_model_alias("real-model", "challenger", version.version)
fetched = client.get_run(run.info.run_id)
json.dump({
    "mlflow": mlflow.__version__,
    "version": version.version,
    "status": version.status,
    "alias": client.get_model_version_by_alias("real-model", "challenger").version,
    "params": fetched.data.params,
    "metrics": fetched.data.metrics,
    "artifacts": sorted(f.path for f in client.list_artifacts(run.info.run_id)),
    "downloaded": open(os.path.join(mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="output.txt"))).read(),
}, sys.stdout)
