"""The lifecycle pipeline: an in-process runner with caching, and its diagram.

:func:`run_pipeline` runs the eight steps of :mod:`mlops_lab.pipeline_steps` in order inside the
notebook's process, and records each run in the metadata store (:mod:`mlops_lab.metadata`)::

    run = run_pipeline(workspace, seed=42)                          # PipelineRun
    run.executed, run.cached        # step names that ran / were reused from the cache
    run.metrics                     # {"accuracy": ..., "roc_auc": ..., ...} of the trained model
    run.deployed                    # did model validation approve the model?
    run.artifacts["train_model.model"].path

Pass ``data=frame`` to extract a given data frame (e.g. the months available so far)
instead of generating one; any other keyword is a
:class:`~mlops_lab.pipeline_steps.PipelineParameters` field.


**Caching.** A step's cache key is the hash of its code version (the hash of the step
function's source), its parameters and the fingerprints of its inputs (a dataset's or
metrics file's content hash; a model's :func:`mlops_lab.model_files.fingerprint`, which is
the same on every processor while the model file's bytes are not). A step whose key
was already executed, with its output files intact, is not run again: the runner records a
``CACHED`` execution pointing at the earlier outputs, as Kubeflow Pipelines and Vertex AI
Pipelines do. So an identical second run executes nothing, and changing one parameter reruns
only the steps downstream of it whose inputs actually changed.

:func:`draw_pipeline` plots the step graph from :data:`~mlops_lab.pipeline_steps.STEPS`,
coloured by what a run did.

**Reusing it** (for example at maturity level 1, where the training pipeline is what gets
deployed and reruns on new data)::

    home = workspace / "04_maturity_levels"   # one folder per notebook: run numbers and cache
                                              # hits then never depend on other notebooks
    run = run_pipeline(home, data=months_so_far, train_months=len_months - 1,
                       min_roc_auc=current_auc)   # gate against the model in production
    run.deployed, run.metrics["roc_auc"], run.monitoring["alerts"]
    steps_affected_by("seed")     # the steps a parameter change can rerun
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_lab.errors import PipelineStepError
from mlops_lab.i18n import translatable, translate
from mlops_lab.metadata import MetadataStore, canonical_json
from mlops_lab.pipeline_steps import PIPELINE_NAME, STEPS, Artifact, PipelineParameters, Step

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes


# --- the in-process runner ----------------------------------------------------------------------

# How a table names what a run did with a step (the store keeps ML Metadata's states: COMPLETE, CACHED, FAILED).
_STATE_WORDS = {
    "COMPLETE": translatable("executed"),
    "CACHED": translatable("cached"),
    "FAILED": translatable("failed"),
}


@dataclass(frozen=True)
class StepRun:
    """What happened to one step in one run."""

    step: str
    state: str  # COMPLETE (executed), CACHED (reused) or FAILED
    cache_key: str
    outputs: tuple[Artifact, ...]


@dataclass(frozen=True)
class PipelineRun:
    """The result of :func:`run_pipeline`: which steps ran, what they wrote, and the model's metrics.

    ``language`` is the language of its table and summary; ML Metadata's states (COMPLETE, CACHED)
    and the step and artifact names are identifiers, the same in every language.
    """

    name: str
    workspace: Path
    parameters: PipelineParameters
    steps: tuple[StepRun, ...]
    artifacts: dict[str, Artifact]  # "step.output" -> Artifact
    language: str = field(default="en", repr=False, compare=False)

    @property
    def executed(self) -> list[str]:
        return [s.step for s in self.steps if s.state == "COMPLETE"]

    @property
    def cached(self) -> list[str]:
        return [s.step for s in self.steps if s.state == "CACHED"]

    @property
    def metrics(self) -> dict[str, float]:
        return dict(self.artifacts["evaluate_model.metrics"].read_json()["model"])

    @property
    def deployed(self) -> bool:
        return bool(self.artifacts["deploy_model.deployment"].read_json()["deployed"])

    @property
    def monitoring(self) -> dict[str, Any]:
        return self.artifacts["monitor_model.report"].read_json()

    def table(self) -> pd.DataFrame:
        """One row per step: what the run did with it and the fingerprint of each output."""
        import pandas as pd

        language = self.language
        return pd.DataFrame(
            [
                {
                    translate("step", language=language): s.step,
                    translate("state", language=language): translate(_STATE_WORDS[s.state], language=language),
                    translate("outputs (fingerprint)", language=language): ", ".join(
                        f"{a.name} {a.fingerprint}" for a in s.outputs
                    ),
                }
                for s in self.steps
            ],
            index=pd.RangeIndex(1, len(self.steps) + 1),
        )

    def __repr__(self) -> str:
        lines = [
            translate(
                "PipelineRun {name}: {executed} executed, {cached} cached",
                language=self.language,
                name=self.name,
                executed=len(self.executed),
                cached=len(self.cached),
            )
        ]
        lines += [
            f"  {s.step:<15} {s.state:<9} " + ", ".join(f"{a.name} {a.fingerprint}" for a in s.outputs)
            for s in self.steps
        ]
        return "\n".join(lines)


def _cache_key(step: Step, inputs: dict[str, Artifact], parameters: dict[str, Any]) -> str:
    payload = {
        "step": step.name,
        "code": step.code_version,
        # Fingerprints, not file hashes: a model is named the same way on every processor, so cache keys
        # (shown in the lineage tables) are too; on one machine, the same fingerprint means the same model.
        "inputs": {name: a.fingerprint for name, a in inputs.items()},
        "parameters": parameters,
    }
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()[:16]


def run_pipeline(
    workspace: str | os.PathLike[str] | None = None,
    *,
    parameters: PipelineParameters | None = None,
    data: pd.DataFrame | None = None,
    cache: bool = True,
    language: str = "en",
    **overrides: Any,
) -> PipelineRun:
    """Run the eight lifecycle steps in order, reusing cached steps, and record the run's lineage.

    ``parameters`` (default :class:`PipelineParameters`) can be adjusted with keyword
    ``overrides`` such as ``seed=42`` or ``model_params={"C": 0.1}``. ``data`` replaces the
    generated data in the extraction step (its fingerprint becomes a parameter, so new data
    reruns the pipeline). ``cache=False`` executes every step. A failing step is recorded
    as FAILED and raises :class:`PipelineStepError`; the steps before it stay cached.
    ``language`` is the language the returned run's table and summary are shown in.
    """
    from mlops_lab.data import fingerprint

    known = {f.name for f in fields(PipelineParameters)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TypeError(f"unknown pipeline parameter(s) {unknown}; choose from {sorted(known)}")
    params = {**asdict(parameters or PipelineParameters()), **overrides}
    params["model_params"] = dict(params["model_params"] or {})
    store = MetadataStore(workspace)
    run_parameters = dict(params)
    if data is not None:
        run_parameters["source"] = fingerprint(data)
    run_id, run_name = store.start_run(run_parameters)

    produced: dict[str, Artifact] = {}
    records = []
    for current in STEPS:
        inputs = {arg: produced[ref] for arg, ref in current.inputs.items()}
        step_params = {name: params[name] for name in current.parameters}
        key_params = dict(step_params)
        if current.name == "extract_data" and data is not None:
            key_params = {"source": run_parameters["source"]}
        cache_key = _cache_key(current, inputs, key_params)
        outputs = store.cached_outputs(current, cache_key) if cache else None
        state = "CACHED"
        if outputs is None:
            state = "COMPLETE"
            folder = store.home / "artifacts" / current.name / cache_key
            paths = {arg: folder / filename for arg, (_, filename) in current.outputs.items()}
            extra = {"source": data} if current.name == "extract_data" and data is not None else {}
            started = time.perf_counter()
            try:
                result = current.function(**{a: x.path for a, x in inputs.items()}, **paths, **step_params, **extra)
            except Exception as exc:
                store.record_execution(
                    run_id=run_id,
                    step=current,
                    state="FAILED",
                    cache_key=cache_key,
                    parameters=key_params,
                    inputs=inputs,
                    outputs={},
                    error=f"{type(exc).__name__}: {exc}",
                )
                raise PipelineStepError(f"{run_name}: step {current.name} failed: {type(exc).__name__}: {exc}") from exc
            results = result if isinstance(result, tuple) else (result,)
            outputs = dict(zip(current.outputs, results, strict=True))
            seconds = round(time.perf_counter() - started, 3)
        else:
            seconds = None
        store.record_execution(
            run_id=run_id,
            step=current,
            state=state,
            cache_key=cache_key,
            parameters=key_params,
            inputs=inputs,
            outputs=outputs,
            seconds=seconds,
        )
        produced.update({f"{current.name}.{name}": artifact for name, artifact in outputs.items()})
        records.append(StepRun(current.name, state, cache_key, tuple(outputs.values())))
    return PipelineRun(
        name=run_name,
        workspace=store.workspace,
        parameters=PipelineParameters(**params),
        steps=tuple(records),
        artifacts=produced,
        language=language,
    )


# --- the diagram --------------------------------------------------------------------------------


def draw_pipeline(run: PipelineRun | None = None, *, ax: Axes | None = None, language: str = "en") -> Axes:
    """Draw the step graph from :data:`STEPS`; with ``run``, colour each step by executed or cached.

    The stages, legend and title are in ``language``; the boxes keep the steps' function names.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    if ax is None:
        _, ax = plt.subplots(figsize=(13, 3.4))
    states = {s.step: s.state for s in run.steps} if run else {}
    colours = {"COMPLETE": "#f4b183", "CACHED": "#a9d18e", "FAILED": "#ff6b6b"}
    spacing, half_width, half_height = 1.8, 0.8, 0.35
    position = {s.name: i * spacing for i, s in enumerate(STEPS)}
    stages = {s.name: translate(s.stage, language=language) for s in STEPS}
    # A box holds about 21 italic characters at 7.5 points: longer stage names (Spanish ones) all get a smaller font.
    stage_size = min(7.5, 7.5 * 21 / max(len(stage) for stage in stages.values()))
    # Arcs that skip steps leave and enter a box at different points, so they stay apart.
    outgoing = {s.name: 0 for s in STEPS}
    incoming = {s.name: 0 for s in STEPS}
    for s in STEPS:
        x = position[s.name]
        ax.add_patch(
            FancyBboxPatch(
                (x - half_width, -half_height),
                2 * half_width,
                2 * half_height,
                boxstyle="round,pad=0.02",
                facecolor=colours.get(states.get(s.name), "#dde6f4"),
                edgecolor="#333333",
            )
        )
        ax.text(x, 0.1, s.name, ha="center", va="center", fontsize=8, fontweight="bold")
        ax.text(x, -0.15, stages[s.name], ha="center", va="center", fontsize=stage_size, style="italic")
        for source in sorted(s.upstream, key=position.get, reverse=True):
            sx = position[source]
            hops = round((x - sx) / spacing)
            if hops == 1:
                start, end, rad = (sx + half_width, 0.0), (x - half_width, 0.0), 0.0
            else:
                start = (sx + 0.25 - 0.15 * outgoing[source], half_height)
                end = (x - 0.25 + 0.15 * incoming[s.name], half_height)
                outgoing[source] += 1
                incoming[s.name] += 1
                rad = -0.25 - 0.05 * hops
            ax.annotate(
                "",
                xy=end,
                xytext=start,
                arrowprops={"arrowstyle": "-|>", "color": "#555555", "connectionstyle": f"arc3,rad={rad}"},
            )
    if run:
        handles = [plt.Rectangle((0, 0), 1, 1, facecolor=colours[k]) for k in ("COMPLETE", "CACHED")]
        labels = [translate(_STATE_WORDS[k], language=language) for k in ("COMPLETE", "CACHED")]
        ax.legend(handles, labels, loc="lower right", fontsize=8, ncol=2, frameon=False)
        title = translate(
            "{pipeline}, {run}: {executed} executed, {cached} cached",
            language=language,
            pipeline=PIPELINE_NAME,
            run=run.name,
            executed=len(run.executed),
            cached=len(run.cached),
        )
    else:
        title = translate(
            "{pipeline}: {n} steps; each arrow passes an artifact downstream",
            language=language,
            pipeline=PIPELINE_NAME,
            n=len(STEPS),
        )
    ax.set_title(title, fontsize=10)
    ax.set_xlim(-half_width - 0.2, position[STEPS[-1].name] + half_width + 0.2)
    ax.set_ylim(-0.8 if run else -0.5, 2.0)
    ax.axis("off")
    return ax
