"""Test-wide setup: every pytest process (and the notebook kernels nbval starts) gets its own workspace."""

import os
import tempfile

os.environ["MLOPS_LAB_WORKSPACE"] = tempfile.mkdtemp(prefix="mlops-lab-test-")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
