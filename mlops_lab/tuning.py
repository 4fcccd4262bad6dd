"""Hyperparameter tuning as a Vertex AI Vizier study, run locally with optuna.

Vizier's vocabulary maps one to one onto optuna's: a **study** has a goal (maximise or
minimise one metric) and a search space of **parameter specs** (double, integer,
categorical; linear or log scale); it proposes **trials**, each a set of parameter values,
and learns from the metric each trial reports. Vizier's default algorithm is Bayesian
optimisation; here it is optuna's TPE sampler, seeded, so the same study proposes the
same trials every time.

:func:`run_study` runs any objective; :func:`tune_churn_model` tunes a churn model on a
validation set. ``on_trial`` is called after every trial, which is where a notebook
logs the trial to MLflow (:func:`mlflow_trial_logger`), as Vertex AI records trials in
the study and in Experiments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops_lab.i18n import translatable, translate

if TYPE_CHECKING:
    import pandas as pd

    from mlops_lab.tracking import TrackingStore

GOALS = ("maximize", "minimize")
# What each goal is called where a learner reads it (the goals themselves are optuna's identifiers).
GOAL_NAMES = {"maximize": translatable("maximize"), "minimize": translatable("minimize")}
ALGORITHMS = ("bayesian", "random")

TrialCallback = Callable[[int, dict[str, Any], float], None]


@dataclass(frozen=True)
class DoubleParameter:
    """A real-valued parameter between ``low`` and ``high`` (``log=True`` searches on a log scale)."""

    low: float
    high: float
    log: bool = False


@dataclass(frozen=True)
class IntegerParameter:
    """A whole-number parameter between ``low`` and ``high``, both included."""

    low: int
    high: int
    log: bool = False


@dataclass(frozen=True)
class CategoricalParameter:
    """A parameter taking one of ``values``."""

    values: tuple[Any, ...]


Parameter = DoubleParameter | IntegerParameter | CategoricalParameter


def _suggest(trial: Any, name: str, spec: Parameter) -> Any:
    if isinstance(spec, DoubleParameter):
        return trial.suggest_float(name, spec.low, spec.high, log=spec.log)
    if isinstance(spec, IntegerParameter):
        return trial.suggest_int(name, spec.low, spec.high, log=spec.log)
    if isinstance(spec, CategoricalParameter):
        return trial.suggest_categorical(name, list(spec.values))
    raise TypeError(
        f"parameter {name!r}: unknown spec {spec!r}; use DoubleParameter, IntegerParameter or CategoricalParameter"
    )


@dataclass(frozen=True)
class StudyResult:
    """A finished study: every trial in order, and the best one."""

    metric: str
    goal: str
    trials: pd.DataFrame
    best_trial: int
    best_params: dict[str, Any]
    best_value: float
    language: str = field(default="en", repr=False, compare=False)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in self.best_params.items())
        return translate(
            "StudyResult({n} trials, goal {goal} {metric}): best trial {best} with {metric}={value:.4f} ({params})",
            language=self.language,
            n=len(self.trials),
            goal=translate(GOAL_NAMES.get(self.goal, self.goal), language=self.language),
            metric=self.metric,
            best=self.best_trial,
            value=self.best_value,
            params=shown,
        )


def run_study(
    objective: Callable[[dict[str, Any]], float],
    *,
    parameters: Mapping[str, Parameter],
    metric: str,
    goal: str = "maximize",
    max_trial_count: int = 20,
    algorithm: str = "bayesian",
    seed: int = 0,
    on_trial: TrialCallback | None = None,
    language: str = "en",
) -> StudyResult:
    """Run a study: ``objective(params) -> metric value`` is called ``max_trial_count`` times.

    ``algorithm="bayesian"`` (TPE, after a few random start-up trials) or ``"random"``.
    Same seed, same objective: same trials, same result. ``language``: the language the result is shown in.
    """
    import optuna
    import pandas as pd

    if goal not in GOALS:
        raise ValueError(f"goal must be one of {list(GOALS)}, got {goal!r}")
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {list(ALGORITHMS)}, got {algorithm!r}")
    if max_trial_count < 1:
        raise ValueError(f"max_trial_count must be at least 1, got {max_trial_count}")
    if not parameters:
        raise ValueError("a study needs at least one parameter to search")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if algorithm == "bayesian":
        sampler: Any = optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(5, max_trial_count))
    else:
        sampler = optuna.samplers.RandomSampler(seed=seed)
    study = optuna.create_study(direction=goal, sampler=sampler)
    rows: list[dict[str, Any]] = []

    def optuna_objective(trial: Any) -> float:
        params = {name: _suggest(trial, name, spec) for name, spec in parameters.items()}
        value = float(objective(dict(params)))
        rows.append({"trial": trial.number, **params, metric: value})
        if on_trial is not None:
            on_trial(trial.number, dict(params), value)
        return value

    study.optimize(optuna_objective, n_trials=max_trial_count)
    trials = pd.DataFrame(rows).set_index("trial")
    best = study.best_trial
    return StudyResult(
        metric=metric,
        goal=goal,
        trials=trials,
        best_trial=best.number,
        best_params=dict(best.params),
        best_value=float(best.value),
        language=language,
    )


def tune_churn_model(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    *,
    kind: str = "random_forest",
    parameters: Mapping[str, Parameter],
    max_trial_count: int = 12,
    algorithm: str = "bayesian",
    seed: int = 0,
    on_trial: TrialCallback | None = None,
    language: str = "en",
) -> StudyResult:
    """Tune a churn model of ``kind``: each trial trains on ``train`` and reports ROC AUC on ``valid``.

    Every trial trains the same model as :func:`mlops_lab.training.train_model` and scores it as
    :func:`mlops_lab.training.evaluate_model` does. The preprocessing step does not depend on the trial's
    parameters, so it is fitted once and both frames are transformed once; each trial fits only its classifier.
    """
    from sklearn.metrics import roc_auc_score

    from mlops_lab.data import FEATURES, TARGET
    from mlops_lab.training import build_model, fit

    template = build_model(kind, seed=seed)
    preprocess = template[:-1].fit(train[list(FEATURES)], train[TARGET])
    train_x, valid_x = (preprocess.transform(frame[list(FEATURES)]) for frame in (train, valid))
    train_y, valid_y = train[TARGET].to_numpy(), valid[TARGET].to_numpy()

    def objective(params: dict[str, Any]) -> float:
        classifier = fit(build_model(kind, params=params, seed=seed)[-1], train_x, train_y)
        if len(set(valid_y)) < 2:  # as evaluate_model: ROC AUC is undefined on one class
            return float("nan")
        return round(float(roc_auc_score(valid_y, classifier.predict_proba(valid_x)[:, 1])), 4)

    return run_study(
        objective,
        parameters=parameters,
        metric="roc_auc",
        goal="maximize",
        max_trial_count=max_trial_count,
        algorithm=algorithm,
        seed=seed,
        on_trial=on_trial,
        language=language,
    )


def mlflow_trial_logger(
    study: str,
    *,
    data: pd.DataFrame | Mapping[str, pd.DataFrame],
    metric: str = "roc_auc",
    store: TrackingStore | None = None,
) -> TrialCallback:
    """An ``on_trial`` callback that logs every trial as an MLflow run named ``<study>-trial-NN``, tagged with the study.

    A trial's run carries what :func:`mlops_lab.tracking.log_run` records (parameters, the metric, the
    data fingerprints and the code version as tags) but no model file, and it is written in one batch:
    a study logs many runs, and the data and code are the same for all of them, so their fingerprints
    are computed once. ``store``: where the runs go (default: the store opened last, see
    :func:`mlops_lab.tracking.current_store`).
    """

    from mlops_lab import tracking
    from mlops_lab.data import fingerprint
    from mlops_lab.tracking import CODE_VERSION_TAG, FINGERPRINT_TAG, code_version

    frames = {"train": data} if not isinstance(data, Mapping) else dict(data)
    if "train" not in frames:
        raise ValueError("data must be the training frame or a mapping with a 'train' frame")
    tags = {f"{FINGERPRINT_TAG}_{key}": fingerprint(frame) for key, frame in frames.items() if key != "train"}
    tags.update({FINGERPRINT_TAG: fingerprint(frames["train"]), CODE_VERSION_TAG: code_version(), "study": study})

    def log_trial(number: int, params: dict[str, Any], value: float) -> None:
        tracking.log_light_run(
            name=f"{study}-trial-{number:02d}", params=params, metrics={metric: value}, tags=tags, store=store
        )

    return log_trial
