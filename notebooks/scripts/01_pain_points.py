# ---
# jupyter:
#   jupytext:
#     formats: ipynb,scripts//py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Pain points: experiment tracking and a model registry
#
# The course lists five pain points of ML practitioners: keeping track of **versions** (of models, code and
# data), controlling the **experiment space**, pinpointing the **best model for the use case**,
# **collaborating**, and **reproducing** results. In this notebook you first feel them, in a typical
# **level 0** session: Google's name for the first stage of MLOps maturity, where every step is done by hand in
# notebooks and scripts and nothing is recorded unless someone writes it down (notebook 04 compares it with
# levels 1 and 2). Results live in variables and file names. Then you redo the same work with MLflow experiment
# tracking and its model registry, and every painful question becomes a single query.
#
# **Learning objectives.** By the end of this notebook you can:
# 1. name what a month-old notebook session cannot tell you, and why;
# 2. log a run with MLflow: parameters, metrics, the data fingerprint, the code version and the model;
# 3. record a whole sweep and compare its runs as a table and a plot;
# 4. choose the best model by a business cost, and show that the choice changes with the cost;
# 5. register a model, move the `champion` and `challenger` aliases and load a model by alias, safely;
# 6. rebuild a model from what was recorded, and see what breaks when one thing was not.

# %% tags=["parameters"]
# Settings you may change. Another seed gives other customers and another order of quiz options; the lessons hold
# for any seed.
seed = 42  # every random number in the notebook comes from this seed
workspace = None  # folder for your progress, runs and models (None: $MLOPS_LAB_WORKSPACE or ./workspace)
quiz_answers = {}  # leave empty: you answer with the Check buttons
solutions = {}  # leave empty: your answers go in the "Your turn" cells
language = "en"  # "en" or "es": the language of the quiz, the feedback and the scorecard
mode = "full"  # "full" or "smoke" (a quicker run with less data)

# %%
from mlops_lab import data, exercise_checks, model_files, registry, tracking, training
from mlops_lab.environment import configure_kernel, open_workspace
from mlops_lab.exercises import ExerciseBook
from mlops_lab.i18n import translate
from mlops_lab.quiz import scorecard, show_quiz

configure_kernel()
workspace = open_workspace(workspace)
your_turn = ExerciseBook(
    "01_pain_points", solutions=solutions, workspace=workspace, seed=seed, mode=mode, language=language
)
customers_per_month = 200 if mode == "smoke" else 500

# %% [markdown]
# ## 1. A level-0 week
#
# Here is how a lot of ML work really starts: one person, one notebook, a few days of trying things. Read the
# four cells below as four days of that person's week. Each day changes something: the data subset, a feature,
# the model, a hyperparameter, the decision threshold. Results go into variables; models go into files whose names are
# the only notes.
#
# Four words the week (and the rest of the workbook) uses to score a churn model. The model gives each customer a
# churn probability; the **threshold** turns it into a decision ("call this customer" above 0.5, say).
#
# - **ROC AUC**: the chance that the model ranks a random churner above a random customer who stays. 0.5 is
#   guessing, 1.0 is perfect. It judges the ranking, before any threshold is chosen.
# - **Precision**: of the customers the model flags, the share who really churn (few wasted retention offers).
# - **Recall**: of the customers who really churn, the share the model flags (few missed churners).
# - **F1**: one number that balances precision and recall (their harmonic mean); notebook 02 uses it.
#
# Lowering the threshold flags more customers: recall goes up, precision usually goes down. Every term is also in
# the [glossary](../GLOSSARY.md).

# %%
level0 = workspace / "level0"
level0.mkdir(exist_ok=True)
customers = data.make_customers(n_months=12, customers_per_month=customers_per_month, seed=seed)
train, test = data.split_by_month(customers, train_months=9)

# Monday: a first logistic regression on all nine training months.
model = training.train_model(train, kind="logistic_regression", seed=seed)
auc = training.evaluate_model(model, test).roc_auc
model_files.save_model(model, level0 / "churn_model.skops")

# %%
# Tuesday: "recent data matters more": train on the last six months only, and try a random forest.
recent = train[train["month"] >= "2025-04-01"]
model = training.train_model(recent, kind="random_forest", params={"max_depth": 6}, seed=seed)
auc2 = training.evaluate_model(model, test).roc_auc
model_files.save_model(model, level0 / "churn_model_v2.skops")

# %%
# Wednesday: a colleague sends a "cleaned" extract where support calls are capped at 4 (a changed feature),
# so: gradient boosting, and a lower threshold that "looked better".
cleaned = train.assign(support_calls=train["support_calls"].clip(upper=4))
model = training.train_model(cleaned, kind="gradient_boosting", params={"max_depth": 2, "n_estimators": 50}, seed=seed)
auc = training.evaluate_model(model, test, threshold=0.3).roc_auc
model_files.save_model(model, level0 / "churn_model_final.skops")

# %%
# Thursday: back to logistic regression, stronger regularisation, all the data again. Ship it.
model = training.train_model(train, kind="logistic_regression", params={"C": 0.05}, seed=seed)
auc3 = training.evaluate_model(model, test).roc_auc
model_files.save_model(model, level0 / "churn_model_final_v2_USE_THIS.skops")
print(f"auc={auc:.4f}  auc2={auc2:.4f}  auc3={auc3:.4f}")

# %% [markdown]
# ## 2. A month later
#
# The model in `churn_model_final_v2_USE_THIS.skops` is in production. The team now asks:
#
# | question | pain point | what the level-0 week left behind |
# |---|---|---|
# | Which data and which code produced the model we shipped? | versions | a file name; `train` was overwritten, the code edited since |
# | Which hyperparameters and threshold did Wednesday's model use, and what did it score? | experiment space | `auc` was overwritten on Wednesday by a different model's score |
# | Which model is best when a missed churner costs 100 and a false alarm 10? | best model for the use case | nobody kept the numbers needed to compute a cost |
# | What did our colleague try last week, on which data? | collaboration | their files, on their laptop |
# | Can we rebuild the shipped model and get the same metrics? | reproducibility | only if someone remembers every step |
#
# All that survives is a folder of files. The model files know their own hyperparameters, but nothing about the
# data, the threshold, the scores or who made them:

# %%
for path in sorted(level0.iterdir()):
    print(path.name)
shipped = model_files.load_model(level0 / "churn_model_final_v2_USE_THIS.skops")
print(
    "C =",
    shipped.get_params()["classifier__C"],
    translate("| training data? threshold? metrics? author? not recorded", language=language),
)

# %% [markdown]
# ## 3. The same work, tracked
#
# **Experiment tracking** records every training run in a store: its parameters, its metrics, its artifacts
# (the model) and tags such as who ran it. Here the store is MLflow's, in a SQLite file inside your workspace
# (`mlflow.db`), created on first use. Set the environment variable `MLFLOW_TRACKING_URI` to a shared MLflow
# server and the same code logs there instead, so a whole class or team sees one store.
#
# `tracking.open_store` points MLflow at the store and selects an **experiment**: a named group of runs about
# one problem.

# %%
import mlflow

store = tracking.open_store(workspace, experiment="01_pain_points")
print(store.summary(language=language))

# %% [markdown]
# ### 3.1 One run, by hand
#
# This is what logging a run looks like in plain MLflow. The run records the *recipe* of the model (every value
# needed to rebuild it), its metrics, two tags that answer "which version?" (a fingerprint of the training data
# and a hash of the training code) and the model itself, stored in the safe **skops** format rather than pickle.
# `tracking.outcome_metrics` adds the counts of missed churners and false alarms to the usual metrics, so any
# business cost can be computed later from the store alone.

# %%
recipe = {**tracking.RECIPE_DEFAULTS, "data_seed": seed, "customers_per_month": customers_per_month, "seed": seed}
train, test = tracking.recipe_data(recipe)
model = training.train_model(train, kind=recipe["kind"], seed=recipe["seed"])

# MLflow records your login name as mlflow.user; naming the user keeps this notebook's output the same for everyone.
you = translate("you", language=language)
with mlflow.start_run(run_name="baseline", tags={"mlflow.user": you}):
    mlflow.log_params(recipe)
    mlflow.log_metrics(tracking.outcome_metrics(model, test, threshold=recipe["threshold"]))
    mlflow.set_tags({"data_fingerprint": data.fingerprint(train), "code_version": tracking.code_version()})
    mlflow.sklearn.log_model(
        model,
        name="model",
        serialization_format="skops",
        skops_trusted_types=list(model_files.TRUSTED_TYPES),
        pip_requirements=tracking.pip_requirements(),  # pinned, so MLflow does not have to guess them
    )
print(translate("logged run {name!r}", language=language, name="baseline"))

# %% [markdown]
# `tracking.train_and_log(recipe, name=..., user=...)` does exactly these calls for any recipe, and
# `tracking.log_sweep(recipe, trials)` calls it once per trial, so the sweep below stays short. They are
# conveniences, not magic: open `mlops_lab/tracking.py` and you will find the same `mlflow.start_run`,
# `log_params`, `log_metrics`, `set_tags` and `log_model`.
#
# ### 3.2 The experiment space: a sweep where every trial is recorded
#
# The week's ideas become a list of trials: model kinds, hyperparameters, thresholds and one data subset
# (`train_from_month=3`: recent months only). Every trial is a run; nothing is overwritten. Two habits of real
# sweeps keep it quick: trials that differ only in their threshold share one trained model (the threshold turns
# probabilities into decisions after training), and the runs record parameters, metrics and tags but no model
# files. Only the model the team picks gets logged, in section 4; the trained models stay in memory until then.

# %%
sweep = [
    {"kind": "logistic_regression", "C": 1.0, "threshold": 0.3},
    {"kind": "logistic_regression", "C": 0.05, "threshold": 0.5},
    {"kind": "logistic_regression", "C": 1.0, "threshold": 0.5, "train_from_month": 3},
    {"kind": "random_forest", "max_depth": 6, "threshold": 0.5},
    {"kind": "random_forest", "max_depth": 6, "threshold": 0.3},
    {"kind": "gradient_boosting", "max_depth": 2, "n_estimators": 50, "threshold": 0.5},
    {"kind": "gradient_boosting", "max_depth": 2, "n_estimators": 50, "threshold": 0.2},
]
trials = tracking.log_sweep(recipe, sweep, user=you, store=store)

runs = tracking.compare_runs(store=store, language=language)
print(tracking.runs_summary(runs, language=language))
shown = [
    "user",
    "kind",
    "C",
    "max_depth",
    "threshold",
    "train_from_month",
    "roc_auc",
    "recall",
    "precision",
    "data_fingerprint",
]
runs[shown]

# %% [markdown]
# One table now answers the version questions: every run carries its data fingerprint (the recent-months
# trial trained on different data, and it shows) and its code version (the same for all runs here, since the
# training code did not change during the sweep). The plot shows the trade-off the sweep explored: lowering the
# threshold catches more churners at the price of more false alarms.

# %%
import matplotlib.pyplot as plt

tracking.plot_runs(
    runs,
    x="false_alarms",
    y="missed_churners",
    group="kind",
    title=translate("Each run's mistakes on the test months", language=language),
)
plt.show()

# %% [markdown]
# The table is built on MLflow's own query API. `mlflow.search_runs` takes a filter in a small SQL-like
# language over `params.`, `metrics.`, `tags.` and `attributes.`, which answers questions directly:

# %%
found = mlflow.search_runs(filter_string="params.kind = 'random_forest' and metrics.recall > 0.7")
found[["tags.mlflow.runName", "params.max_depth", "params.threshold", "metrics.recall"]]

# %% [markdown]
# ### 3.3 The best model depends on the use case
#
# The highest ROC AUC is one answer. But the retention team acts on the model's *decisions*: a missed churner
# loses a customer's revenue, a false alarm spends a retention offer on someone who would have stayed. The cost
# per customer of each run follows from its logged counts, for any prices. Watch the winner change:

# %%
print(tracking.best_run(runs, metric="roc_auc", language=language))
for missed, alarm in [(100, 10), (40, 10), (20, 20), (10, 30)]:
    print(tracking.best_by_cost(runs, missed_churner_cost=missed, false_alarm_cost=alarm, language=language))

# %% [markdown]
# No model is best in general. Record enough (here: the counts behind the cost) and you can answer "best for
# whom?" whenever the business changes its prices, without retraining anything.
#
# ### 3.4 Collaboration: a second person in the same store
#
# Collaboration is the pain point of a team: data scientists, data engineers, ML engineers and the business all
# need the same record (notebook 00, section 4.2, lists who does what). Bo, a colleague, tries two ideas of their
# own. On a shared server (`MLFLOW_TRACKING_URI`) Bo's runs would
# arrive from Bo's laptop; here we log them for Bo. Bo forgets one thing: the random forest's seed is not
# recorded (`omit=("seed",)`).

# %%
tracking.train_and_log(
    {**recipe, "kind": "gradient_boosting", "max_depth": 3, "n_estimators": 50, "threshold": 0.3},
    name="bo-1",
    user="bo",
    log_model=True,
)
tracking.train_and_log(
    {**recipe, "kind": "random_forest", "max_depth": 8, "seed": 7, "threshold": 0.4},
    name="bo-2",
    user="bo",
    omit=("seed",),
)
runs = tracking.compare_runs(store=store, language=language)
tracking.runs_by_user(runs, language=language)

# %% [markdown]
# ## 4. The model registry: names, versions and aliases
#
# A **model registry** gives models a name and numbered versions, each linked to the run that produced it.
# Instead of a file called `..._final_v2_USE_THIS`, an **alias** such as `champion` points at the version in
# production, and `challenger` at the one being evaluated against it. Promoting or rolling back is moving an
# alias, not copying files. These are the real MLflow calls: the team's choice gets its model logged into its
# own run (`start_run(run_id=...)` reopens a finished run), then registered under a name with an alias.

# %%
from mlflow import MlflowClient

team_choice = tracking.best_by_cost(runs, missed_churner_cost=100, false_alarm_cost=10)
run = mlflow.search_runs(filter_string=f"attributes.run_name = '{team_choice.run}'", output_format="list")[0]
with mlflow.start_run(run_id=run.info.run_id):
    logged = mlflow.sklearn.log_model(
        trials[team_choice.run].model,  # the model the sweep trained for this run
        name="model",
        serialization_format="skops",
        skops_trusted_types=list(model_files.TRUSTED_TYPES),
        pip_requirements=tracking.pip_requirements(),
    )
version = mlflow.register_model(logged.model_uri, "churn-model")  # MLflow 3: models:/<the logged model's id>
MlflowClient().set_registered_model_alias("churn-model", "champion", version.version)

# %% [markdown]
# Bo logged the model of `bo-1` while training it (`log_model=True` above), so the helper registers it in one
# line. Bo's gradient boosting becomes the challenger; the table shows which run every version came from.

# %%
registry.register_model("bo-1", name="churn-model", alias="challenger", store=store)
registry.registry_table("churn-model", language=language)

# %% [markdown]
# Serving code asks for `churn-model@champion`, never for a file name. `registry.load_model` downloads the
# version the alias points to and loads it with `model_files.load_model`, which checks every type in the skops file
# against the package's own allow-list (`model_files.TRUSTED_TYPES`). The loaded model scores exactly what its run recorded:

# %%
champion = registry.load_model("churn-model", alias="champion")
recorded = runs.loc[team_choice.run, "recall"]
loaded = training.evaluate_model(champion, test, threshold=runs.loc[team_choice.run, "threshold"]).recall
print(
    translate(
        "champion = {run}; recall recorded {recorded:.4f}, recall of the loaded model {loaded:.4f}",
        language=language,
        run=team_choice.run,
        recorded=recorded,
        loaded=loaded,
    )
)

# %% [markdown]
# Why skops and not pickle? Loading a pickle file runs whatever code the file asks for. A skops file only
# describes objects, and loading refuses types nobody reviewed. Here is a file that names `os.system`
# (nothing runs: skops only writes a reference to the function):

# %%
import os

from sklearn.preprocessing import FunctionTransformer

model_files.save_model(FunctionTransformer(func=os.system), workspace / "suspicious.skops")
try:
    model_files.load_model(workspace / "suspicious.skops")
except model_files.UntrustedModelError as error:
    print(model_files.refusal_message(error, language=language).replace(str(workspace), "<workspace>"))

# %% [markdown]
# MLflow's own `mlflow.sklearn.load_model("models:/churn-model@champion")` works too, but it trusts the list of
# types stored *inside* the model folder, which whoever wrote the folder controls; the allow-list in code is
# the safer habit.
#
# ## 5. Reproducibility
#
# Rebuild the champion from nothing but its recorded parameters: regenerate the data, check its fingerprint,
# retrain, re-evaluate.

# %%
reproduction = tracking.reproduce_run(team_choice.run, store=store, language=language)
reproduction

# %% [markdown]
# Now Bo's random forest, whose seed was not recorded. The data is right, but the forest grows differently with
# the default seed, and the metrics no longer match. One missing parameter is enough:

# %%
tracking.reproduce_run("bo-2", store=store, language=language)

# %% [markdown]
# ## 6. The questions again, one query each

# %%
shipped_run = registry.model_version("churn-model", alias="champion").run
print(
    translate(
        "1. shipped model: churn-model v{version} from run {run}, data {data}, code version recorded: {recorded}",
        language=language,
        version=version.version,
        run=shipped_run,
        data=runs.loc[shipped_run, "data_fingerprint"],
        recorded=runs.loc[shipped_run, "code_version"] == tracking.code_version(),
    )
)
print(
    translate(
        "2. trial-5 used {kind} max_depth={max_depth:g} threshold={threshold} and reached ROC AUC {roc_auc:.4f}",
        language=language,
        kind=runs.loc["trial-5", "kind"],
        max_depth=runs.loc["trial-5", "max_depth"],
        threshold=runs.loc["trial-5", "threshold"],
        roc_auc=runs.loc["trial-5", "roc_auc"],
    )
)
print(f"3. {tracking.best_by_cost(runs, missed_churner_cost=100, false_alarm_cost=10, language=language)}")
print(translate("4. Bo ran {runs}", language=language, runs=", ".join(runs.index[runs["user"] == "bo"])))
print(
    translate(
        "5. {run} reproduced: {reproduced}", language=language, run=team_choice.run, reproduced=reproduction.reproduced
    )
)

# %% [markdown]
# To browse the same store in MLflow's own web UI, run `make mlflow-ui` in a terminal in the workbook folder and
# open the address it prints (it serves on 127.0.0.1 only).
#
# ## 7. Your turn
#
# **Exercise 1.** Which decision threshold did `trial-7` use? Look it up in the `runs` table (or with
# `mlflow.search_runs`) and set the value.

# %%
trial_7_threshold = 0.5  # your turn: the threshold trial-7 recorded

# %%
trial_7_threshold = your_turn.submit(
    "trial-threshold",
    trial_7_threshold,
    check=lambda value: exercise_checks.check_recorded_value(
        value, table=runs, run="trial-7", column="threshold", language=language
    ),
)

# %% [markdown]
# **Exercise 2.** Write an MLflow filter string that finds exactly Bo's runs. Hint: who ran a run is the tag
# `mlflow.user`; a tag name with a dot goes in backticks, as in ``tags.`mlflow.user` ``.

# %%
bo_filter = "params.kind = 'gradient_boosting'"  # your turn: a filter that finds only Bo's runs

# %%
bo_filter = your_turn.submit(
    "bo-filter",
    bo_filter,
    check=lambda value: exercise_checks.check_filter(value, expected=["bo-1", "bo-2"], store=store, language=language),
)

# %% [markdown]
# **Exercise 3.** The marketing team revises its prices: a missed churner costs 50 and a false alarm 25. Which
# run should be the champion now? Use `tracking.business_costs(runs, ...)` or `tracking.best_by_cost(...)` and
# give the run name.

# %%
best_for_marketing = tracking.best_run(runs, metric="roc_auc").run  # your turn: the cheapest run at 50 / 25

# %%
best_for_marketing = your_turn.submit(
    "cost-choice",
    best_for_marketing,
    check=lambda value: exercise_checks.check_cost_choice(
        value, table=runs, missed_churner_cost=50, false_alarm_cost=25, language=language
    ),
)

# %% [markdown]
# **Exercise 4: write a run-selection rule.** This time you write code, and hidden tests check it. The retention
# team only accepts a model that catches at least 70% of the churners: a recall of at least 0.7. Complete
# `pick_run(runs, *, metric, min_recall)`. It returns the name of a run (the `runs` table's index): the run with
# the highest `metric` among the runs whose recall is at least `min_recall` (a run exactly at the floor counts) and
# whose `metric` was recorded (a value that was not recorded shows as NaN). When no run qualifies, it returns
# `None`. The starting point below ignores the recall floor.
#
# The next cell runs tests you do not see on small tables of runs, edge cases included, and names every situation
# your function gets wrong. Your code is saved with your progress.


# %%
def pick_run(runs, *, metric, min_recall):
    # your turn: keep only the runs that clear the recall floor, and return None when none does
    return runs[metric].idxmax()


# %%
from mlops_lab.i18n import translate

pick_run = your_turn.submit_code("pick-run", pick_run)
print(
    translate(
        "Your rule's pick, the best ROC AUC with a recall of at least 0.7: {pick}",
        language=language,
        pick=pick_run(runs, metric="roc_auc", min_recall=0.7),
    )
)

# %% [markdown]
# ## 8. Quiz
#
# One question asks you to compute a cost from your own runs' logged counts, as section 3.3 did.

# %%
facts = {
    "champion_cost_alarm_20": tracking.business_costs(runs, missed_churner_cost=100, false_alarm_cost=20)[
        team_choice.run
    ],
}
show_quiz("01_pain_points", answers=quiz_answers, facts=facts, workspace=workspace, seed=seed, language=language)

# %% [markdown]
# ## 9. Summary, and the same steps on Google Cloud
#
# - A level-0 session loses versions, trials, costs, authors and recipes; a tracking store keeps them.
# - Every run records parameters, metrics, the data fingerprint and the code version; a sweep is a table.
# - "Best" is a business question: log what a cost needs and the answer follows from the store.
# - A registry names versions and moves aliases; models load by alias, from skops files, against an allow-list.
# - A run is reproducible only if everything that shaped the model was recorded, the seed included.
#
# | step here | local tool | on Vertex AI |
# |---|---|---|
# | `open_store`, an experiment | MLflow tracking store (SQLite or a shared server) | **Vertex AI Experiments**: `aiplatform.init(experiment=...)` |
# | a run with params, metrics, tags | `mlflow.start_run`, `log_params`, `log_metrics` | **Vertex AI Experiments**: `aiplatform.start_run`, `log_params`, `log_metrics` (its autologging is built on MLflow) |
# | compare runs as a table | `mlflow.search_runs`, `compare_runs` | **Vertex AI Experiments**: `aiplatform.get_experiment_df()` and the console's run comparison |
# | data fingerprint, code version, model artifact of a run | run tags and artifacts | **Vertex ML Metadata**: artifacts, executions, events and contexts form the lineage graph |
# | register a model version | `mlflow.register_model` | **Vertex AI Model Registry**: a model with numbered versions |
# | `champion` / `challenger` aliases | `set_registered_model_alias` | **Vertex AI Model Registry** version aliases (the first version gets `default`; a new version takes it too unless uploaded with `is_default_version=False`) |
# | load by alias | `models:/churn-model@champion` | deploy the aliased version to an endpoint |
#
# Vertex AI is becoming part of **Gemini Enterprise Agent Platform**, and its services are being renamed
# (Vertex AI Experiments, for example, appears as Agent Platform Experiments); notebook 05 has the table of old
# and new names.
#
# **Read more.** Google's [*Practitioners guide to MLOps*](https://services.google.com/fh/files/misc/practitioners_guide_to_mlops_whitepaper.pdf)
# (2021): read "Data and model management" and "ML development", and list what the guide says an experiment
# tracker and a model registry must record; compare with the columns of your `runs` table. The full reading list
# is in [READING.md](../READING.md).
#
# Next, notebook 02 turns these habits into an automated check: a CI pipeline that validates data and refuses a
# model that does not beat the champion.

# %%
print(scorecard("01_pain_points", workspace=workspace, language=language))
