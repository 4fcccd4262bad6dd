"""The lifecycle pipeline as Kubeflow Pipelines (KFP v2) components: run locally, compiled for Vertex AI Pipelines.

Each component is a thin wrapper around the matching step of :mod:`mlops_lab.pipeline_steps`,
so the in-process runner and Kubeflow execute the same code and, for the same seed, write
byte-identical artifacts::

    run = run_local(workspace, seed=42)      # KfpRun: every task in its own Python process
    run.metrics                              # same numbers as pipeline.run_pipeline(seed=42).metrics
    run_local(workspace, seed=42, last_step="validate_model")   # only the steps up to the gate (quicker)
    path = compile_pipeline(workspace)       # the YAML (PipelineSpec) Vertex AI Pipelines runs
    describe_pipeline_spec(path)             # its tasks, components and dependencies as a table

The local runner is ``kfp.local.SubprocessRunner(use_venv=False)``: no container, no network,
the current virtual environment. Components are built with ``install_kfp_package=False``,
so no task calls pip: the image (here, this environment) already holds kfp and the
workbook. On Vertex AI the same holds for the container image given as ``base_image``:
build it from the workbook (``pip install .``), push it to Artifact Registry, and compile
with that image's name.

The runner's own output (about 15 log lines per task, with colours, timestamps and temporary
paths) goes to a log file in the workspace, never to the notebook. ``kfp`` is imported only
inside these functions, so importing :mod:`mlops_lab` stays instant.
"""

import contextlib
import dataclasses
import inspect
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_lab.environment import open_workspace, skip_final_collection
from mlops_lab.i18n import translate
from mlops_lab.pipeline_steps import PIPELINE_NAME, STEPS, PipelineParameters, artifact_fingerprint, content_hash

if TYPE_CHECKING:
    import pandas as pd

KFP_DIR = "kfp"
PIPELINE_FILE = "churn_lifecycle.yaml"
LOG_FILE = "local_run.log"
JOB_LOG = "job.log"
# The container every task runs in on Vertex AI: an image with this workbook and kfp installed.
BASE_IMAGE = "mlops-lab/python:3.11"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def task_name(step: str) -> str:
    """KFP's name for the task of a step: ``train_model`` becomes ``train-model``."""
    return step.replace("_", "-")


def _check_last_step(last_step: str) -> int:
    names = [s.name for s in STEPS]
    if last_step not in names[names.index("evaluate_model") :]:
        raise ValueError(f"last_step must be one of {names[names.index('evaluate_model') :]}, not {last_step!r}")
    return names.index(last_step)


def _component_functions() -> dict[str, Any]:
    """The body of every lifecycle step as a KFP lightweight component function, by step name.

    KFP ships each function's source to the task's process, so each is self-contained; the
    annotations (KFP's artifact types) tell KFP what flows in and out.
    """
    from kfp.dsl import Artifact, Dataset, Input, Metrics, Model, Output

    # Each function body runs in its own process (a container on Vertex AI), so it imports what it needs.
    def extract_data(
        seed: int,
        n_months: int,
        customers_per_month: int,
        covariate_drift: float,
        concept_drift: float,
        snapshot: Output[Dataset],
    ):
        from mlops_lab import environment, pipeline_steps

        pipeline_steps.extract_data(
            snapshot.path,
            seed=seed,
            n_months=n_months,
            customers_per_month=customers_per_month,
            covariate_drift=covariate_drift,
            concept_drift=concept_drift,
        )
        environment.skip_final_collection()

    def analyze_data(snapshot: Input[Dataset], statistics: Output[Artifact]):
        from mlops_lab import environment, pipeline_steps

        pipeline_steps.analyze_data(snapshot.path, statistics.path)
        environment.skip_final_collection()

    def prepare_data(
        snapshot: Input[Dataset],
        statistics: Input[Artifact],
        train_months: int,
        train: Output[Dataset],
        test: Output[Dataset],
    ):
        from mlops_lab import environment, pipeline_steps

        pipeline_steps.prepare_data(snapshot.path, statistics.path, train.path, test.path, train_months=train_months)
        environment.skip_final_collection()

    def train_model(train: Input[Dataset], model_kind: str, model_params: dict, seed: int, model: Output[Model]):
        from mlops_lab import environment, pipeline_steps

        trained = pipeline_steps.train_model(
            train.path, model.path, model_kind=model_kind, model_params=model_params, seed=seed
        )
        # Recorded with the artifact (Vertex ML Metadata shows it next to the model): its name on any machine.
        model.metadata["fingerprint"] = trained.fingerprint
        environment.skip_final_collection()

    def evaluate_model(model: Input[Model], test: Input[Dataset], threshold: float, metrics: Output[Metrics]):
        import json

        from mlops_lab import environment, pipeline_steps

        pipeline_steps.evaluate_model(model.path, test.path, metrics.path, threshold=threshold)
        with open(metrics.path, encoding="utf-8") as handle:
            # Logged metrics show up in the Vertex AI Pipelines console and in Vertex AI Experiments.
            for name, value in json.load(handle)["model"].items():
                metrics.log_metric(name, value)
        environment.skip_final_collection()

    def validate_model(metrics: Input[Metrics], min_roc_auc: float, validation: Output[Artifact]):
        from mlops_lab import pipeline_steps

        pipeline_steps.validate_model(metrics.path, validation.path, min_roc_auc=min_roc_auc)

    def deploy_model(
        model: Input[Model], validation: Input[Artifact], test: Input[Dataset], deployment: Output[Artifact]
    ):
        from mlops_lab import environment, pipeline_steps

        pipeline_steps.deploy_model(model.path, validation.path, test.path, deployment.path)
        environment.skip_final_collection()

    def monitor_model(
        model: Input[Model],
        train: Input[Dataset],
        test: Input[Dataset],
        deployment: Input[Artifact],
        drift_threshold: float,
        report: Output[Artifact],
    ):
        from mlops_lab import environment, pipeline_steps

        pipeline_steps.monitor_model(
            model.path, train.path, test.path, deployment.path, report.path, drift_threshold=drift_threshold
        )
        environment.skip_final_collection()

    return {
        "extract_data": extract_data,
        "analyze_data": analyze_data,
        "prepare_data": prepare_data,
        "train_model": train_model,
        "evaluate_model": evaluate_model,
        "validate_model": validate_model,
        "deploy_model": deploy_model,
        "monitor_model": monitor_model,
    }


def _pipeline_signature() -> inspect.Signature:
    """The pipeline's parameters: :class:`~mlops_lab.pipeline_steps.PipelineParameters`' fields, plain typed for KFP."""
    import typing

    from kfp.dsl import Metrics

    hints = typing.get_type_hints(PipelineParameters)
    defaults = PipelineParameters()
    parameters = [
        inspect.Parameter(
            f.name,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=getattr(defaults, f.name),
            annotation=typing.get_origin(hints[f.name]) or hints[f.name],
        )
        for f in dataclasses.fields(PipelineParameters)
    ]
    return inspect.Signature(parameters, return_annotation=Metrics)


def build_pipeline(*, base_image: str = BASE_IMAGE, last_step: str = STEPS[-1].name, language: str = "en") -> Any:
    """The KFP pipeline (a ``GraphComponent``): one lightweight Python component per lifecycle step.

    ``last_step`` ends the pipeline early (at model evaluation or later): a local demo can run
    the steps up to the validation gate, while the compiled pipeline holds all eight. The tasks
    are wired as :data:`~mlops_lab.pipeline_steps.STEPS` declares (each step's inputs and parameters),
    so the in-process runner and Kubeflow run the same graph. ``language`` is the language of
    the pipeline's description.
    """
    steps = STEPS[: _check_last_step(last_step) + 1]
    from kfp import dsl

    components = {
        name: dsl.component(function, base_image=base_image, install_kfp_package=False)
        for name, function in _component_functions().items()
    }
    signature = _pipeline_signature()

    def churn_lifecycle(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        parameters = bound.arguments
        outputs: dict[str, Any] = {}
        for step in steps:
            task = components[step.name](
                **{argument: outputs[source] for argument, source in step.inputs.items()},
                **{name: parameters[name] for name in step.parameters},
            )
            outputs.update({f"{step.name}.{output}": task.outputs[output] for output in step.outputs})
        return outputs["evaluate_model.metrics"]

    churn_lifecycle.__signature__ = signature  # what KFP reads as the pipeline's parameters
    description = translate("The eight steps of the ML lifecycle on the MLOps Lab churn data.", language=language)
    return dsl.pipeline(name=PIPELINE_NAME, description=description)(churn_lifecycle)


def compile_pipeline(
    workspace: str | os.PathLike[str] | None = None, *, base_image: str = BASE_IMAGE, language: str = "en"
) -> Path:
    """Compile the pipeline to the PipelineSpec YAML that Vertex AI Pipelines accepts; return its path.

    ``language`` is the language of the description the file carries.
    """
    from kfp import compiler

    target = open_workspace(workspace) / KFP_DIR / PIPELINE_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    compiler.Compiler().compile(build_pipeline(base_image=base_image, language=language), package_path=str(target))
    return target


@dataclass(frozen=True)
class PipelineSpecSummary:
    """The essentials of a compiled pipeline: format version, parameters and the task graph (shown in ``language``)."""

    name: str
    schema_version: str
    sdk_version: str
    parameters: dict[str, str]
    tasks: tuple[dict[str, Any], ...]
    images: tuple[str, ...]
    language: str = field(default="en", repr=False, compare=False)

    def table(self) -> "pd.DataFrame":
        import pandas as pd

        columns = {
            "task": translate("task", language=self.language),
            "component": translate("component", language=self.language),
            "runs after": translate("runs after", language=self.language),
            "reads": translate("reads", language=self.language),
            "writes": translate("writes", language=self.language),
        }
        frame = pd.DataFrame(list(self.tasks), columns=list(columns)).rename(columns=columns)
        return frame.set_index(columns["task"])

    def __repr__(self) -> str:
        return translate(
            "pipeline {name!r}: schemaVersion {schema}, {sdk}, {tasks} tasks, {parameters} parameters, image {images}",
            language=self.language,
            name=self.name,
            schema=self.schema_version,
            sdk=self.sdk_version,
            tasks=len(self.tasks),
            parameters=len(self.parameters),
            images=", ".join(self.images),
        )


def describe_pipeline_spec(path: str | os.PathLike[str], *, language: str = "en") -> PipelineSpecSummary:
    """Read a compiled pipeline YAML back: it must parse, and it names every task and what it depends on.

    The summary is shown in ``language``.
    """
    import yaml

    spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    components = spec["components"]
    tasks = []
    for name, task in spec["root"]["dag"]["tasks"].items():
        component = components[task["componentRef"]["name"]]
        reads = sorted(task.get("inputs", {}).get("artifacts", {}))
        writes = sorted(component.get("outputDefinitions", {}).get("artifacts", {}))
        tasks.append(
            {
                "task": name,
                "component": task["componentRef"]["name"],
                "runs after": ", ".join(task.get("dependentTasks", [])) or "-",
                "reads": ", ".join(reads) or "-",
                "writes": ", ".join(writes),
            }
        )
    order = {task_name(s.name): i for i, s in enumerate(STEPS)}
    tasks.sort(key=lambda t: order.get(t["task"], len(order)))
    executors = spec["deploymentSpec"]["executors"].values()
    parameters = spec["root"]["inputDefinitions"]["parameters"]
    return PipelineSpecSummary(
        name=spec["pipelineInfo"]["name"],
        schema_version=spec["schemaVersion"],
        sdk_version=spec["sdkVersion"],
        parameters={name: p["parameterType"] for name, p in parameters.items()},
        tasks=tuple(tasks),
        images=tuple(sorted({e["container"]["image"] for e in executors})),
        language=language,
    )


@dataclass(frozen=True)
class KfpRun:
    """A local Kubeflow run: which tasks ran, their outputs' content hashes and fingerprints, the model's metrics."""

    status: str
    tasks: tuple[str, ...]  # in the order the runner executed them
    artifacts: dict[str, str]  # "step.output" -> content hash, named like pipeline.PipelineRun.artifacts
    fingerprints: dict[str, str]  # "step.output" -> fingerprint (see pipeline_steps.Artifact)
    metrics: dict[str, float]
    log_file: Path
    log_lines: int
    seconds: float
    language: str = field(default="en", repr=False, compare=False)

    def __repr__(self) -> str:
        return translate(
            "KFP local run: {status}, {n} tasks in separate processes ({tasks}); the runner's log is in {log}",
            language=self.language,
            status=self.status,
            n=len(self.tasks),
            tasks=", ".join(self.tasks),
            log=f"{KFP_DIR}/{LOG_FILE}",
        )


def _recorded_metadata(task_dir: Path) -> dict[str, dict[str, Any]]:
    """The metadata a task recorded for each of its output artifacts, read from its ``executor_output.json``.

    That file is KFP's ``ExecutorOutput`` (the executor writes it for the runner, which records the
    outputs from it); a task without recorded metadata has an empty entry or none.
    """
    import json

    path = task_dir / "executor_output.json"
    if not path.exists():
        return {}
    output = json.loads(path.read_text(encoding="utf-8"))
    return {name: entry["artifacts"][0].get("metadata", {}) for name, entry in output.get("artifacts", {}).items()}


def run_local(
    workspace: str | os.PathLike[str] | None = None,
    *,
    parameters: PipelineParameters | None = None,
    last_step: str = STEPS[-1].name,
    **overrides: Any,
) -> KfpRun:
    """Run the KFP pipeline with the local subprocess runner (offline), its log kept out of the notebook.

    Takes the same parameters as :func:`mlops_lab.pipeline.run_pipeline` (except ``data``);
    ``last_step`` runs the steps up to that one only (see :func:`build_pipeline`).
    A failing run raises ``RuntimeError`` with the end of the log and the log's path.
    """
    import json
    from dataclasses import asdict

    from kfp import local

    params = {**asdict(parameters or PipelineParameters()), **overrides}
    home = open_workspace(workspace).resolve() / KFP_DIR
    home.mkdir(parents=True, exist_ok=True)
    log_file = home / LOG_FILE
    churn_lifecycle = build_pipeline(last_step=last_step)
    started = time.perf_counter()
    with open(log_file, "w", encoding="utf-8") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        local.init(
            runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(home / "runs"), raise_on_error=False
        )
        result = churn_lifecycle(**params)
    seconds = time.perf_counter() - started
    text = _ANSI.sub("", log_file.read_text(encoding="utf-8"))
    finished = re.findall(r"Pipeline '.+' finished with status (\w+)", text)
    status = finished[-1] if finished else "UNKNOWN"
    if status != "SUCCESS":
        tail = "\n".join(text.splitlines()[-15:])
        raise RuntimeError(f"the KFP local run ended with status {status}; full log: {log_file}\n{tail}")
    metrics_file = Path(result.output.path)
    run_dir = metrics_file.parent.parent
    artifacts, fingerprints = {}, {}
    for step in STEPS[: _check_last_step(last_step) + 1]:
        recorded = _recorded_metadata(run_dir / task_name(step.name))
        for output, (type_, _) in step.outputs.items():
            path = run_dir / task_name(step.name) / output
            artifacts[f"{step.name}.{output}"] = content_hash(path)
            # The training task records the model's fingerprint; computing it here would load the model, and
            # with it scikit-learn and skops (1.5-2.5 s of CPU) in this process, after the last task.
            fingerprint = recorded.get(output, {}).get("fingerprint")
            fingerprints[f"{step.name}.{output}"] = fingerprint or artifact_fingerprint(path, type_)
    return KfpRun(
        status=status,
        tasks=tuple(re.findall(r"Executing task '([\w-]+)'", text)),
        artifacts=artifacts,
        fingerprints=fingerprints,
        metrics=dict(json.loads(metrics_file.read_text(encoding="utf-8"))["model"]),
        log_file=log_file,
        log_lines=len(text.splitlines()),
        seconds=round(seconds, 1),
    )


@dataclass
class KfpJob:
    """A KFP local run going on in a background process, like a submitted Vertex AI ``PipelineJob``."""

    process: Any
    workspace: Path
    result_file: Path
    language: str = field(default="en", repr=False, compare=False)

    def __repr__(self) -> str:
        return translate(
            "KfpJob: pipeline {name!r} submitted to the local SubprocessRunner in a background process",
            language=self.language,
            name=PIPELINE_NAME,
        )

    def done(self) -> bool:
        return self.process.poll() is not None

    def wait(self, timeout: float = 600) -> KfpRun:
        """Wait for the run to end and return its :class:`KfpRun`; a failed run raises ``RuntimeError``."""
        import json

        code = self.process.wait(timeout=timeout)
        job_log = self.workspace / KFP_DIR / JOB_LOG
        if code != 0 or not self.result_file.exists():
            tail = "\n".join(job_log.read_text(encoding="utf-8").splitlines()[-15:]) if job_log.exists() else ""
            raise RuntimeError(f"the background KFP run failed (exit code {code}); log: {job_log}\n{tail}")
        record = json.loads(self.result_file.read_text(encoding="utf-8"))
        return KfpRun(
            **{
                **record,
                "tasks": tuple(record["tasks"]),
                "log_file": Path(record["log_file"]),
                "language": self.language,
            }
        )


def submit_local_run(
    workspace: str | os.PathLike[str] | None = None,
    *,
    parameters: PipelineParameters | None = None,
    last_step: str = STEPS[-1].name,
    language: str = "en",
    **overrides: Any,
) -> KfpJob:
    """Compile the pipeline and run it locally in a background process; ``.wait()`` returns the :class:`KfpRun`.

    The compiled file always holds all eight steps; ``last_step`` ends the local run early.
    ``language`` is the language of the job's and the run's summaries and of the compiled description.

    Each KFP task starts a fresh Python process that imports pandas and scikit-learn, so the
    whole run takes several seconds; in the background it overlaps with the notebook's
    own work, and the kernel never imports kfp nor sees the runner's output.
    """
    import json
    import subprocess
    import sys
    from dataclasses import asdict

    params = {**asdict(parameters or PipelineParameters()), **overrides}
    _check_last_step(last_step)
    home = open_workspace(workspace).resolve() / KFP_DIR
    home.mkdir(parents=True, exist_ok=True)
    # One result file per job, so two jobs in one workspace never read each other's result.
    result_file = home / f"result-{time.time_ns()}.json"
    with open(home / JOB_LOG, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mlops_lab.kfp_pipeline",
                str(home.parent),
                json.dumps(params),
                str(result_file),
                last_step,
                language,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return KfpJob(process=process, workspace=home.parent, result_file=result_file, language=language)


def main(argv: list[str]) -> int:
    """``python -m mlops_lab.kfp_pipeline WORKSPACE PARAMETERS_JSON RESULT_FILE [LAST_STEP [LANGUAGE]]``.

    Compiles the whole pipeline (its description in LANGUAGE), runs it locally (up to LAST_STEP), writes the result.
    """
    import json
    from dataclasses import asdict

    workspace, params, target = Path(argv[0]), json.loads(argv[1]), Path(argv[2])
    compile_pipeline(workspace, language=argv[4] if len(argv) > 4 else "en")
    run = run_local(workspace, last_step=argv[3] if len(argv) > 3 else STEPS[-1].name, **params)
    record = {**asdict(run), "log_file": str(run.log_file)}
    target.with_suffix(".tmp").write_text(json.dumps(record, indent=1), encoding="utf-8")
    target.with_suffix(".tmp").replace(target)
    # The notebook waits for this process to end, not only for the result file.
    skip_final_collection()
    return 0


def compare_runs(in_process: Any, kfp_run: KfpRun, *, language: str = "en") -> "pd.DataFrame":
    """Artifact by artifact: the fingerprint from the in-process run next to the KFP run's, and whether the bytes match.

    Both runs happen on this machine, so even a model file is byte for byte the same; the table
    shows fingerprints, which are the same on every machine. An artifact of a step the KFP run
    did not include (see ``last_step``) is marked "not run". Headers and answers are in ``language``.
    """
    import pandas as pd

    artifact_column = translate("artifact", language=language)
    rows = []
    for key, artifact in in_process.artifacts.items():
        if task_name(key.split(".")[0]) not in kfp_run.tasks:
            identical = translate("not run", language=language)
        elif kfp_run.artifacts.get(key) == artifact.content_hash:
            identical = translate("yes", language=language)
        else:
            identical = "NO"
        rows.append(
            {
                artifact_column: key,
                translate("in-process", language=language): artifact.fingerprint,
                "kubeflow (local)": kfp_run.fingerprints.get(key, "-"),
                translate("identical bytes", language=language): identical,
            }
        )
    return pd.DataFrame(rows).set_index(artifact_column)


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
