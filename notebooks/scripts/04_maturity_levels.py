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
# # 04 · MLOps maturity levels 0, 1 and 2, side by side
#
# Google Cloud describes three levels of MLOps maturity. At **level 0** people do every step by hand; at
# **level 1** a deployed training pipeline retrains the model by itself (continuous training); at **level 2**
# the pipeline's own code is tested and deployed automatically too (CI/CD). Reading about the levels is one
# thing; this lab *runs* all three on the same business for a year and a half of drifting data and counts what
# each one costs.
#
# **Learning objectives.** By the end of this notebook you can:
# 1. measure training-serving skew and drift the way Vertex AI Model Monitoring does (Jensen-Shannon divergence,
#    L-infinity distance, a threshold per feature), and say what changes in Model Monitoring v2;
# 2. describe maturity levels 0, 1 and 2 as Google's architecture guide does (level 0's disconnect between ML and
#    operations, level 1's experimental-operational symmetry and modular components, level 2's six stages), and
#    recognise each in a simulation;
# 3. explain which continuous-training trigger reacts to which kind of change (and which one it cannot see);
# 4. show why level 2's CI/CD matters even when level 1 already retrains on its own.

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
from mlops_lab import exercise_checks, maturity, maturity_levels, maturity_plots, monitoring, tracking
from mlops_lab.environment import configure_kernel, open_workspace
from mlops_lab.exercises import ExerciseBook
from mlops_lab.quiz import scorecard, show_quiz

configure_kernel()
workspace = open_workspace(workspace)
your_turn = ExerciseBook(
    "04_maturity_levels", solutions=solutions, workspace=workspace, seed=seed, mode=mode, language=language
)
store = tracking.open_store(workspace, experiment="04_maturity_levels")  # MLflow: every training run goes here

# %% [markdown]
# ## 1. The three levels in one table
#
# | | level 0: manual | level 1: ML pipeline automation | level 2: CI/CD pipeline automation |
# |---|---|---|---|
# | how a model is trained | by hand, in notebooks and scripts | by a deployed training pipeline | by the pipeline, whose code is built, tested and deployed by CI/CD |
# | what is deployed | a model file, handed over | the training pipeline | the pipeline, through automated tests |
# | when it retrains | when someone notices a problem | on a trigger: on demand, on a schedule, on new data, on a performance drop, on a distribution shift | the same triggers |
# | data and model validation | none | automatic: schema skew stops the pipeline; a new model must beat the current one | the same |
# | new pipeline code | (there is no pipeline) | tested and released by hand | tested and deployed automatically |
# | monitoring | none | the model's quality and its input data | the same |
#
# ### 1.1 Level 0: manual process
#
# Every step (data extraction, analysis, preparation, training, evaluation, validation) is **manual, script-driven
# and interactive**, usually in notebooks, until a model is good enough. Google's guide stresses what follows:
#
# - **A disconnect between ML and operations.** Data scientists hand a trained model (a file) to engineers, who
#   deploy it behind an API. The serving side often re-implements the feature code, which invites
#   **training-serving skew**: the model receives features computed differently from the ones it learned from.
# - **Infrequent release iterations.** A new model ships a few times a year, so nobody automates the process.
# - **No CI, no CD.** Code is tested in notebooks by running them; deployment is done by hand. Only the prediction
#   service is deployed, never the process that made the model.
# - **No active performance monitoring.** Nothing tracks the model's predictions and actions, so decay is found when
#   the business complains.
#
# ### 1.2 Level 1: ML pipeline automation
#
# The goal is **continuous training**: the steps become a pipeline that retrains the model in production.
#
# - **Rapid, orchestrated experiments**: the transitions between steps are automated, so trying an idea is cheap.
# - **Experimental-operational symmetry**: the *same* pipeline runs in development, pre-production and production,
#   which is what unifies the data scientists' work with operations.
# - **Modular code for components and pipelines**: each step is a reusable, composable component (often in its own
#   container), so it runs the same everywhere (notebook 03's pipeline is built this way).
# - **The pipeline is deployed, not the model**: in production it runs by itself and delivers new models.
# - **Triggers** start it: **on demand** (a person asks for a run), on a schedule, on new data, on a drop in model
#   performance, or on a significant change in the data distribution.
# - Around it: **data validation** (schema skew stops the pipeline, value skew starts a retraining), **model
#   validation** (a new model must beat the current one, also on data slices), a **metadata store** (every run's
#   pipeline version, parameters, artifacts and metrics) and, optionally, a **feature store**.
#
# Its weak spot: new pipeline *code* is still tested and released by hand, so improvements ship rarely.
#
# ### 1.3 Level 2: CI/CD pipeline automation
#
# Level 2 automates the pipeline's own delivery. Google's guide describes it in **six stages**:
#
# | stage | what happens | what it produces | in this lab |
# |---|---|---|---|
# | 1. development and experimentation | try algorithms and models; the steps are orchestrated | source code of the pipeline's steps, pushed to source control | code versions v1, v2, v3 of the scenario |
# | 2. pipeline continuous integration | build the code and run tests (feature logic, model methods, training converges, no NaNs, each component produces its artifacts) | pipeline components: packages, executables, artifacts | `world.ci(...)`, which blocks the broken refactoring |
# | 3. pipeline continuous delivery | deploy the built components to the target environment | a deployed pipeline with the new implementation | "CD deployed the pipeline the same month" |
# | 4. automated triggering | the pipeline runs in production on a schedule or in response to a trigger | a trained model, pushed to the model registry | the scheduled pipeline runs |
# | 5. model continuous delivery | serve the trained model as a prediction service | a deployed model prediction service | "promoted" in the journal |
# | 6. monitoring | collect statistics on the model's performance on live data | a trigger for the pipeline, or a new experiment cycle | section 3's monitoring |
#
# Data analysis and model analysis stay manual: people still decide what to try next.
#
# ## 2. The business and its year and a half
#
# The churn model of every lab now runs in production from April 2025 to June 2026. Its first model learns from
# January to March. The `Scenario` holds what happens meanwhile: a **gradual covariate shift** (the customer mix
# moves towards pricier month-to-month contracts), a **sudden concept change** (customers become far more price
# sensitive), a **data-quality incident** (an upstream export breaks: missing charges, negative tenures, an
# unknown contract type) and two changes to the pipeline's **code**: a new feature (support calls joined from the
# ticketing system) and, later, a refactoring with a bug (it divides by a tenure that can be zero).
#
# Quality is what the business feels: the cost of the model's mistakes per customer (a missed churner costs 100,
# a wasted retention offer 10), so **lower is better**. The business's target: at most 20 per customer.

# %%
scenario = maturity.Scenario(seed=seed, customers_per_month=1000 if mode == "smoke" else 3000)
world = maturity.World(scenario)
for event in scenario.events():
    print(f"{world.labels[event.month]}  {event.kind:<20}{event.describe(language=language)}")

# %% [markdown]
# ## 3. Monitoring first: skew and drift, the Vertex AI way
#
# Vertex AI Model Monitoring compares the data a model receives with a baseline, feature by feature. Compared with
# the **training data**, a difference is **training-serving skew**; compared with earlier production data, it is
# **drift**. For a **numeric** feature it buckets the values into a histogram and computes the **Jensen-Shannon
# divergence**, a number between 0 (same distribution) and 1 (nothing in common); for a **categorical** feature it
# takes the **L-infinity distance**, the largest change in the share of any one category. Each feature has a
# threshold; reaching it raises an alert.
#
# Those defaults (Jensen-Shannon for numbers, L-infinity for categories, **0.3** for every feature) are **Model
# Monitoring v1**'s, the version that watches an endpoint (`ModelDeploymentMonitoringJob`) and the one this lab
# copies. **Model Monitoring v2** attaches a *model monitor* to a version in the Model Registry (even a model served
# outside Google Cloud); there you choose the metric per objective (for categories, L-infinity or Jensen-Shannon)
# and set alert thresholds per objective and per feature, so do not assume v1's 0.3.
#
# "Skew" here means training-serving skew. Notebook 02's *schema skew* and *value skew* are another use of the word:
# data validation comparing a new batch with the schema before training.
#
# The report also shows the **population stability index** (PSI), another measure of a shift, explained in the
# optional note at the end of this section. Here is December 2025, against the first model's training data:

# %%
training_data = world.training_data(world.initial_key())
december = world.batches[world.labels.index("2025-12")]
monitoring.detect_skew(training_data, december, language=language)

# %% [markdown]
# Drift uses the same metrics with an earlier window of production data as the baseline, here November 2025:

# %%
november = world.batches[world.labels.index("2025-11")]
print(monitoring.detect_drift(november, december, language=language).summary())

# %% [markdown]
# A monitoring job runs this every month. The chart shows each feature's distance over time against the 0.3
# threshold. Watch the covariate shift creep up, the data incident jump over the line, and the concept change do
# nothing at all: it changes *why* customers churn, not *who* the customers are.

# %%
import matplotlib.pyplot as plt

maturity_plots.plot_monitoring(world, language=language)
plt.show()

# %% [markdown]
# ### Going deeper (optional): divergence or distance, bits or nats, and PSI
#
# Skip this note on a first reading; nothing later depends on it.
#
# `scipy.spatial.distance.jensenshannon` returns the Jensen-Shannon *distance*, the square root of the divergence,
# computed with natural logarithms (nats) unless you pass `base=2` (bits). Vertex AI (through TensorFlow Data
# Validation) compares the *divergence* in base 2, a number between 0 and 1: `jensenshannon(p, q, base=2) ** 2`. A
# divergence of 0.3 is a base-2 distance of 0.55 (0.46 with natural logarithms), so a threshold moved from one
# number to the other changes when you are alerted.
#
# The **population stability index** sums, over the buckets, (current share - baseline share) x ln(current share /
# baseline share). Industry reads it with rules of thumb: below 0.1 stable, above 0.25 a major shift.

# %%
from scipy.spatial.distance import jensenshannon

from mlops_lab.i18n import translate

p, q = [0.5, 0.3, 0.2], [0.2, 0.3, 0.5]
lines = [
    (
        translate("Jensen-Shannon divergence (Vertex AI):", language=language),
        monitoring.jensen_shannon_divergence(p, q),
        "",
    ),
    (
        translate("scipy jensenshannon, natural log:", language=language),
        jensenshannon(p, q),
        translate("  (a distance, not comparable with 0.3)", language=language),
    ),
    (translate("scipy jensenshannon(base=2) squared:", language=language), jensenshannon(p, q, base=2) ** 2, ""),
]
width = max(len(label) for label, _, _ in lines) + 1
for label, value, note in lines:
    print(f"{label:<{width}}{value:.4f}{note}")

# %% [markdown]
# ## 4. Lab: one model, operated three ways
#
# Each level is a policy object you can read. Levels 1 and 2 use the same trigger (a schedule, every three
# months); every human step takes `human_delay` = 3 months: noticing a problem at level 0, releasing or repairing
# pipeline code at level 1. Every training run is logged to MLflow, the metadata store of this workbook.

# %% [markdown]
# All three start from the same first model, trained by hand on January to March 2025 with version 1 of the
# pipeline's code. Its first month in production:

# %%
print(world.describe_first_model(language=language))

# %%
policies = maturity_levels.default_policies(trigger="schedule", human_delay=3)
for policy in policies:
    print(policy.describe(language=language))

# %%
comparison = maturity_plots.compare_levels(world, policies=policies, store=store, language=language)
comparison

# %% [markdown]
# The chart puts the three levels on one time line. Vertical lines mark the events; triangles mark the month a new
# model went into production.

# %%
comparison.plot_quality()
plt.show()

# %% [markdown]
# Each level's journal says what happened and why. Read level 0's: the data incident goes unnoticed, and a
# problem is acted on only after three bad months in a row. Level 1 retrains on schedule and data validation
# stops the broken batch, but its pipeline code waits three months for a manual release, and the untested
# refactoring breaks the pipeline until an engineer repairs it: its runs fail meanwhile. Level 2's CI ships the
# new feature the same month and blocks the broken change. The lines under the journals put numbers on it.

# %%
for outcome in comparison.outcomes:
    print(f"== {outcome.name}")
    print(outcome.journal_text())
print()
print(comparison.broken_pipeline_note())

# %% [markdown]
# Look at the last months of the chart too. A level-0 team that finally retrains by hand, on recent data, can end
# the period as good as level 2 or better than a level 1 whose pipeline is broken: one model, retrained at the right
# moment, is as good as the data it saw, whoever trained it. Maturity does not make a single model better. It
# changes how many months are spent off target, how long recovery takes, how many problems reach production
# unnoticed and how much of it needs a person; read those rows of the table, not only the last point of the chart.
#
# Here is the CI report that blocked the broken refactoring at level 2. The unit tests of the shared ML code, the
# ones plain DevOps CI would run, all pass; the pipeline checks on the new feature step catch the division by zero.

# %%
world.ci(maturity.CODE_V3).table(language=language)

# %% [markdown]
# Every run is in MLflow, with its parameters, the gate's verdict and the fingerprint of the data it trained on
# (the lineage that lets you answer "which data made the model in production?" months later):

# %%
runs = tracking.compare_runs(store=store, params=["level", "month", "pipeline_code", "reason"], metrics=["promoted"])
maturity_plots.run_table(runs, language=language)

# %% [markdown]
# ## 5. Change the world, see the outcome change
#
# Change the values below and run the two cells: a bigger or smaller covariate shift or concept change, another
# trigger or threshold, a faster or slower organisation. The defaults make the shift three times stronger and
# switch levels 1 and 2 to the distribution-shift trigger at Vertex AI's threshold of 0.3: compare the table with
# the one in section 4, then try another trigger, a slower organisation, or `covariate_drift = 0`.

# %%
covariate_drift = 1.5  # 0 = none, 1.5 = strong
concept_drift = 2.0  # 0 = none
trigger = "drift"  # "schedule", "new_data", "performance" or "drift"
threshold = 0.3  # months, rows, cost per customer or distance, depending on the trigger
human_delay = 2  # months a human needs to notice, release or repair

# %%
what_if = maturity_plots.compare_levels(
    maturity.Scenario(
        seed=seed,
        customers_per_month=scenario.customers_per_month,
        covariate_drift=covariate_drift,
        concept_drift=concept_drift,
    ),
    policies=maturity_levels.default_policies(trigger=trigger, threshold=threshold, human_delay=human_delay),
    language=language,
)
what_if.plot_quality()
plt.show()
what_if

# %% [markdown]
# ## 6. Your turn
#
# **Exercise 1.** Monitoring should warn you *before* a shift hurts, without crying wolf. Choose one threshold for
# every feature so that the monitoring chart above alerts during the covariate shift (before the concept change)
# but never in April or May 2025, before the shift starts. Vertex AI's default of 0.3 is a starting point, not a
# law. (The data-incident month does not count: data validation handles it.)

# %%
drift_threshold = 0.3  # your turn: change this value

# %%
drift_threshold = your_turn.submit(
    "drift-threshold",
    drift_threshold,
    check=lambda value: exercise_checks.check_drift_threshold(value, world=world, language=language),
)

# %% [markdown]
# **Exercise 2.** Retraining costs compute, review and risk, so the business wants **as few months off target as
# possible, with as few retrains as possible**. Choose a trigger (`"schedule"`, `"new_data"`, `"performance"` or
# `"drift"`) and its threshold for level 2 on the default scenario. The check runs your policy and compares it
# with the best policy a search over every trigger found.

# %%
my_policy = {"trigger": "schedule", "threshold": 1}  # your turn: change the trigger and the threshold

# %%
search = maturity_levels.search_policies(world)
my_policy = your_turn.submit(
    "best-trigger",
    my_policy,
    check=lambda value: exercise_checks.check_policy(value, world=world, search=search, language=language),
)

# %% [markdown]
# The whole search, best first. Look for the drift trigger: a concept change does not move the inputs, so a
# drift trigger cannot see it. Where a drift threshold does retrain in time after the concept change, it is because
# the covariate shift happens to be still moving the inputs at that time: right by luck. The lines above the table
# pick out the drift trigger's rows.

# %%
print(search.describe_best(language=language))
for score in sorted((s for s in search.scores if s.trigger == "drift"), key=lambda s: s.threshold):
    print(score.describe(language=language))
search.to_frame(language=language)

# %% [markdown]
# **Exercise 3: write a retrain trigger.** This time you write code, and hidden tests check it. At level 1 the
# pipeline decides by itself when to retrain. Every month monitoring hands it a report, a dict such as
# `{"data_valid": True, "drift": {"contract": 0.12, ...}, "recall": 0.66, "baseline_recall": 0.72}`. Complete
# `should_retrain(report, *, drift_threshold=0.3, max_recall_drop=0.05)`. It returns `True` when:
#
# - a feature's drift score reaches `drift_threshold` (at or above it, as Vertex AI's alerts do), or
# - the recall fell by more than `max_recall_drop` below `baseline_recall`.
#
# A drift score can be missing (`None` or NaN: that feature was not monitored), and so can the recall (`None`: the
# month's churn labels have not arrived yet); a missing value neither triggers nor prevents a retrain. And whatever
# the drift and the recall say, a month whose data failed validation (`"data_valid": False`) never triggers one:
# a model retrained on broken data learns the fault. The starting point looks at drift only. The next cell runs
# tests you do not see, edge cases included, and names every situation your function gets wrong. Your code is
# saved with your progress.


# %%
def should_retrain(report, *, drift_threshold=0.3, max_recall_drop=0.05):
    # your turn: the recall, missing values and data validation
    return any(score >= drift_threshold for score in report["drift"].values())


# %%
from mlops_lab.i18n import translate

should_retrain = your_turn.submit_code("retrain-trigger", should_retrain)
december_drift = monitoring.detect_drift(november, december)
december_report = {
    "data_valid": True,
    "drift": {f.feature: f.distance for f in december_drift.features},
    "recall": None,  # December's churn labels arrive in January
    "baseline_recall": 0.7,
}
print(
    translate(
        "December 2025, drift against November: retrain? {decision}",
        language=language,
        decision=should_retrain(december_report),
    )
)

# %% [markdown]
# ## 7. Quiz
#
# Two questions ask you to compute a difference from your comparison in section 4: look back at its table.

# %%
show_quiz(
    "04_maturity_levels",
    answers=quiz_answers,
    facts=comparison.facts(),
    workspace=workspace,
    seed=seed,
    language=language,
)

# %% [markdown]
# ## 8. Summary
#
# - Level 0 is manual: nothing notices a problem until the business does, and nothing checks the data.
# - Level 1 deploys the training pipeline: continuous training on a trigger, data validation that stops on schema
#   skew, model validation before promotion. Its code still moves by hand, slowly and untested.
# - Level 2 adds CI/CD of the pipeline: new code is tested and shipped in days, broken code is blocked.
# - Monitoring measures inputs (skew and drift); only label-based signals see a concept change.
# - Google's level 2 runs in six stages: development and experimentation, pipeline CI, pipeline CD, automated
#   triggering, model continuous delivery, monitoring.
#
# **On Google Cloud.**
#
# | here | on Google Cloud |
# |---|---|
# | `monitoring.detect_skew` / `detect_drift`, thresholds 0.3 | **Vertex AI Model Monitoring** v1: skew and drift jobs on an endpoint, Jensen-Shannon and L-infinity, alerts by email or Cloud Monitoring; v2 attaches a monitor to a registered model version, with metrics and thresholds chosen per objective |
# | the level 1 pipeline and its triggers | **Vertex AI Pipelines** runs, started by a schedule, by **Cloud Scheduler**, or by events (**Pub/Sub**, **Eventarc**) for new data and monitoring alerts |
# | data validation, the model validation gate | TFX / TFDV components or pipeline steps; a condition in the pipeline before **Model Registry** promotion |
# | runs logged to MLflow | **Vertex AI Experiments** and **Vertex ML Metadata** (lineage of every run) |
# | level 2's CI and CD (`run_ci`) | **Cloud Build** tests and builds the pipeline from source control, **Artifact Registry** stores it, then it is deployed to Vertex AI Pipelines |
#
# In today's documentation these services carry the name of **Gemini Enterprise Agent Platform** (Agent Platform
# Pipelines, Agent Platform Experiments, ...): notebook 05 has the table of old and new names.
#
# **Read more.** Google Cloud's [*MLOps: Continuous delivery and automation pipelines in machine learning*](https://cloud.google.com/architecture/mlops-continuous-delivery-and-automation-pipelines-in-machine-learning):
# read the three "MLOps level" sections with their diagrams; for level 0 find its "challenges", for level 1 the
# list of triggers, and for level 2 the six stages and which of them stay manual. Terms are in the
# [glossary](../GLOSSARY.md); the full reading list is in [READING.md](../READING.md).

# %%
print(scorecard("04_maturity_levels", workspace=workspace, language=language))
