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
# # 03 · The ML lifecycle: eight steps, one pipeline, full lineage
#
# A model in production is the end of a chain: somebody extracted data, looked at it, cleaned and split it,
# trained, evaluated and validated a model, deployed it and watched it. Done by hand, that chain is fragile:
# nobody can say later which data or which settings produced the model that is answering requests. Done as a
# **pipeline**, every step is code, every output is a recorded artifact, and the questions have answers.
#
# **Learning objectives.** By the end of this notebook you can:
# 1. name the eight steps of the ML lifecycle in order, and say what each one produces;
# 2. place them in the seven processes of Google's *Practitioners' guide to MLOps*;
# 3. run the steps as a pipeline and predict which steps a change reruns (step caching);
# 4. answer lineage questions from a metadata store: what produced the deployed model, and what a data snapshot fed;
# 5. run the same pipeline with Kubeflow Pipelines and compile it into the file Vertex AI Pipelines runs.

# %% tags=["parameters"]
# Settings you may change. Another seed gives other customers and another order of quiz options; the lessons hold
# for any seed.
seed = 42  # every random number in the notebook comes from this seed
workspace = None  # folder for your progress and pipeline runs (None: $MLOPS_LAB_WORKSPACE or ./workspace)
quiz_answers = {}  # leave empty: you answer with the Check buttons
solutions = {}  # leave empty: your answers go in the "Your turn" cells
language = "en"  # "en" or "es": the language of the quiz, the feedback, the tables and the printed results
mode = "full"  # "full" or "smoke" (a quicker run with less data)

# %%
from mlops_lab import exercise_checks, kfp_pipeline, metadata, pipeline, pipeline_steps
from mlops_lab.environment import configure_kernel, open_workspace
from mlops_lab.exercises import ExerciseBook
from mlops_lab.i18n import translate
from mlops_lab.quiz import scorecard, show_quiz

configure_kernel()
workspace = open_workspace(workspace)
your_turn = ExerciseBook(
    "03_ml_lifecycle", solutions=solutions, workspace=workspace, seed=seed, mode=mode, language=language
)
lab = workspace / "03_ml_lifecycle"  # this notebook's pipeline runs, artifacts and metadata
size = {"seed": seed, "customers_per_month": 300 if mode == "smoke" else 1000}

# %% [markdown]
# Section 6 compares this notebook's pipeline with the same pipeline run by **Kubeflow Pipelines**. Kubeflow
# starts a fresh Python process for every step (on Vertex AI, a fresh container), so its run takes a while. We
# submit it now, in the background, and collect the result later: the same way you submit a pipeline job to
# Vertex AI and come back when it has finished. To keep the wait short, this local run stops at the validation
# gate (`last_step`): the six steps that turn data into an approved model.
#
# Restarted the kernel? Run the first cells again as usual. If you skip this one, section 6 notices that the job
# is missing and submits it there; a second job is harmless, since each job writes its own result file.

# %%
kfp_job = kfp_pipeline.submit_local_run(lab, last_step="validate_model", language=language, **size)
kfp_job

# %% [markdown]
# ## 1. The eight steps of the ML lifecycle
#
# Google Cloud's architecture guide *MLOps: Continuous delivery and automation pipelines in machine learning*
# describes the lifecycle of a model in eight steps. In this workbook each step is a plain Python function in
# `mlops_lab.pipeline`: it reads files, writes files, and returns a record of what it wrote. The table is built
# from the pipeline's own definition.

# %%
import pandas as pd

pd.set_option("display.max_colwidth", None)  # the tables below hold long text: show it in full
pipeline_steps.steps_table(language=language)

# %% [markdown]
# A few things to notice:
#
# - **Evaluation and validation are different steps.** Evaluation measures the model on held-out data.
#   Validation decides: is the model good enough to deploy? Here it must reach a minimum ROC AUC and beat a
#   simple rule without ML ("every month-to-month customer is at risk").
# - **Serving is a step, not the end.** The deploy step puts an approved model on an endpoint and sends it a few
#   test requests. Models can also be embedded in an application or used for batch scoring.
# - **Monitoring closes the loop.** It compares what the model sees in production with what it was trained on;
#   when the data moves, it can start the next turn of the cycle.
#
# Google's *Practitioners' guide to MLOps* (2021) groups the same work into seven processes. Each step of the
# lifecycle belongs to one of them, and all of them read and write the shared data and model records in the
# middle:
#
# | process in the Practitioners' guide | where you meet it in this notebook |
# |---|---|
# | ML development | section 2: trying each step by hand until it works |
# | training operationalization | section 3: the steps become a tested, repeatable pipeline; section 6: compiled for Vertex AI |
# | continuous training | section 3: the pipeline reruns on new data or new settings, reusing what did not change |
# | model deployment | the `deploy_model` step, after the validation gate |
# | prediction serving | the endpoint's smoke test; later notebooks serve over HTTP |
# | continuous monitoring | the `monitor_model` step |
# | data and model management (at the centre) | section 4: artifacts with content hashes and their lineage |

# %% [markdown]
# ## 2. Lab: every step by hand
#
# First, the steps one at a time, the way a data scientist develops them. Every call writes files into the
# workspace and returns an `Artifact`: its type, and a **content hash** (the first digits of the SHA-256 of the
# file). The same content always has the same hash, so a hash names a version of the data. A model is named by
# its **fingerprint** instead, for a reason you will see after training.
#
# **Data extraction, analysis and preparation.** Extraction takes a snapshot of the customer data. Analysis
# computes statistics of every column and writes down the schema the data must respect. Preparation drops rows
# that break the schema and splits the months in time: train on the past, test on the most recent months.

# %%
by_hand = lab / "by_hand"
snapshot = pipeline_steps.extract_data(by_hand / "snapshot.csv", **size)
statistics = pipeline_steps.analyze_data(snapshot.path, by_hand / "statistics.json")
train, test = pipeline_steps.prepare_data(
    snapshot.path, statistics.path, by_hand / "train.csv", by_hand / "test.csv", train_months=9
)
stats = statistics.read_json()
print(pipeline_steps.describe_artifacts(snapshot, statistics, train, test, language=language))
print(
    translate(
        "{rows} rows, months {first} to {last}, churn rate {rate:.3f}",
        language=language,
        rows=stats["rows"],
        first=stats["months"][0],
        last=stats["months"][-1],
        rate=stats["churn_rate"],
    )
)
pipeline_steps.describe_statistics(statistics, language=language)

# %% [markdown]
# **Model training, evaluation and validation.** Training fits the churn model on the training months and
# saves it with skops (a safe format: loading it cannot run arbitrary code).

# %%
model = pipeline_steps.train_model(train.path, by_hand / "model.skops", seed=seed)
print(pipeline_steps.describe_artifacts(model, language=language))

# %% [markdown]
# The model has two hashes. The **file sha256** is the hash of the file's bytes: the honest check that a file has
# not changed on this machine. But training is floating-point arithmetic, and different processors (and the
# math-library code chosen for each) round the last bits of a number (around its 16th digit) differently, so the same data and
# seed give a model whose file differs by a few bits from one laptop to the next: your file sha256 is probably
# not the one the workbook's author saw. The **fingerprint** hashes the model's parameters rounded to 6
# significant digits, far above that noise and far below any real change, so it is the same on every machine:
# it is the model's name in the pipeline, its records and its lineage. Reproducible means "the same model", not
# always "the same bytes".

# %% [markdown]
# Evaluation scores the model on the test months, next to the no-ML baseline rule. Validation turns those
# numbers into a decision.

# %%
metrics = pipeline_steps.evaluate_model(model.path, test.path, by_hand / "metrics.json")
validation = pipeline_steps.validate_model(metrics.path, by_hand / "validation.json", min_roc_auc=0.7)
scores = metrics.read_json()
print(pipeline_steps.describe_artifacts(metrics, validation, language=language))
print(
    translate(
        "model ROC AUC {model:.4f}, baseline rule ROC AUC {baseline:.4f}",
        language=language,
        model=scores["model"]["roc_auc"],
        baseline=scores["baseline"]["roc_auc"],
    )
)
print(pipeline_steps.validation_lines(validation, language=language))

# %% [markdown]
# **Model serving and monitoring.** The approved model goes to the (local) endpoint, which answers three test
# requests. Monitoring treats the last month as production traffic: it measures how far each feature has moved
# from the training data (Jensen-Shannon divergence for numbers, L-infinity distance for categories, alert above
# 0.3: the defaults of Vertex AI Model Monitoring v1; notebook 04 explains both measures and v2) and compares
# predicted with actual churn.

# %%
deployment = pipeline_steps.deploy_model(model.path, validation.path, test.path, by_hand / "deployment.json")
report = pipeline_steps.monitor_model(model.path, train.path, test.path, deployment.path, by_hand / "monitoring.json")
served, watched = deployment.read_json(), report.read_json()
print(
    translate(
        "deployed to {endpoint}: {deployed}; smoke-test churn probabilities {probabilities}",
        language=language,
        endpoint=served["endpoint"],
        deployed=served["deployed"],
        probabilities=served["smoke_test"],
    )
)
print(
    translate(
        "monitoring {month}: predicted churn {predicted:.3f}, actual {actual:.3f}, alerts: {alerts}",
        language=language,
        month=watched["month"],
        predicted=watched["predicted_churn_rate"],
        actual=watched["actual_churn_rate"],
        alerts=watched["alerts"] or translate("none", language=language, context="alerts"),
    )
)
pd.Series(watched["drift"], name=translate("drift score", language=language)).to_frame()

# %% [markdown]
# Eight calls, eight artifacts, and it works. But look at what is *not* recorded anywhere: which snapshot the
# model was trained on, with which settings and which version of the code. Run these cells again tomorrow with a
# different setting, and the files are silently replaced. That is the pain point of tracking versions, and the
# reason to turn the steps into a pipeline.
#
# ## 3. Lab: the steps as a pipeline
#
# `pipeline_steps.STEPS` declares, for every step, which outputs of earlier steps it reads and which parameters it
# takes. The drawing below is made from that declaration, not from a picture: change the definition and the
# drawing changes.

# %%
import matplotlib.pyplot as plt

pipeline.draw_pipeline(language=language)
plt.show()

# %% [markdown]
# `run_pipeline` runs the steps in order, in this notebook's process. Before a step runs, the runner computes
# its **cache key**: a hash of the step's code, its parameters and the fingerprints of its inputs (the content
# hash for data, the fingerprint for a model). If a step
# with the same key already ran and its outputs are intact, the runner reuses them instead of running it again.
# Every run, every step and every artifact is recorded in a **metadata store** in the workspace.
#
# (Running this notebook a second time? Then even the first run below finds its steps in the cache, and the runs
# are numbered on from the earlier ones: the cache and the store survive restarts. To start from scratch, delete
# the folder `03_ml_lifecycle/pipeline` in your workspace.)

# %%
first = pipeline.run_pipeline(lab, language=language, **size)
first

# %% [markdown]
# Run it again with exactly the same inputs. Nothing has changed, so nothing needs to run: every step is a
# cache hit, and the run takes a fraction of a second.

# %%
second = pipeline.run_pipeline(lab, language=language, **size)
print(
    translate(
        "{run}: {executed} steps executed, {cached} reused from the cache",
        language=language,
        run=second.name,
        executed=len(second.executed),
        cached=len(second.cached),
    )
)
print(
    translate("same metrics as {run}: {same}", language=language, run=first.name, same=second.metrics == first.metrics)
)

# %% [markdown]
# **Predict before you run.** The next cells change one parameter and run the pipeline again. Look at the drawing
# above and answer first: how many steps will execute?

# %%
show_quiz(
    "03_ml_lifecycle",
    answers=quiz_answers,
    workspace=workspace,
    seed=seed,
    questions=["predict-c-change"],
    language=language,
)

# %% [markdown]
# Now change one parameter: the regularisation strength `C` of the logistic regression (smaller `C` means a
# simpler model). Only the steps that depend on it run again: training, and every step downstream of the model.
# The data steps are reused.

# %%
changed = pipeline.run_pipeline(lab, **size, model_params={"C": 0.05}, language=language)
pipeline.draw_pipeline(changed, language=language)
plt.show()
changed.table()

# %% [markdown]
# Compare the fingerprints: the snapshot, statistics and splits are the same files as in the first run; the model,
# its metrics and everything after them are new. Caching is what makes it cheap to rerun a pipeline often,
# which is exactly what continuous training needs.
#
# ## 4. Lab: lineage questions
#
# The metadata store follows the data model of **ML Metadata** (MLMD), which TFX, Kubeflow Pipelines and Vertex
# AI ML Metadata share:
#
# - an **artifact** is a file a step wrote (a dataset, a model, metrics), with a type, a location, a content hash
#   and a fingerprint;
# - an **execution** is one step in one run, with its parameters, its code version and its state (executed,
#   or reused from the cache);
# - an **event** links an execution to an artifact it read (input) or wrote (output);
# - a **context** groups them: the pipeline, and each of its runs.
#
# Our store is a small SQLite file in the workspace (`03_ml_lifecycle/pipeline/metadata.sqlite`). MLMD's own
# local back end is SQLite too: it needs no server, each run is written in transactions so a crash never leaves
# half a record, and a lineage question is an SQL query that follows events from artifact to execution to
# artifact.

# %%
store = metadata.MetadataStore(lab)
store.summary(language=language)

# %% [markdown]
# **Question 1: where does the deployed model come from?** The query starts at the model now on the endpoint,
# walks back through the events to the training step, the split and the snapshot, and forward to the
# evaluation of the model.

# %%
metadata.model_lineage(lab, language=language)

# %% [markdown]
# The "code version" is a hash of each step function's source code: editing a step changes it, and
# invalidates that step's cache. In a team repository you would record the Git commit as well.
#
# **Question 2: which models did this data snapshot feed?** The reverse walk: start at the snapshot and follow
# the events forward to every training step that used it. If the snapshot turns out to be broken (a bad join,
# leaked labels), this is the list of models to retrain or withdraw.

# %%
metadata.models_from_snapshot(lab, snapshot=first.artifacts["extract_data.snapshot"].fingerprint, language=language)

# %% [markdown]
# ## 5. Your turn
#
# **Exercise 1.** The list below holds the eight steps of the lifecycle, shuffled. Put them in order, from the
# first thing a team does to the last.

# %%
lifecycle_order = [
    "model training",
    "data extraction",
    "model evaluation",
    "data preparation",
    "model monitoring",
    "model validation",
    "data analysis",
    "model serving",
]  # your turn: reorder this list

# %%
lifecycle_order = your_turn.submit(
    "lifecycle-order",
    lifecycle_order,
    check=lambda value: exercise_checks.check_lifecycle_order(value, language=language),
)

# %% [markdown]
# **Exercise 2.** Predict before you run: you change `train_months` from 9 to 8 (the model trains on one month
# less, and is tested on four months instead of three). Which steps will the pipeline execute again? List their
# function names (`"extract_data"`, `"analyze_data"`, ...). The cell after the check runs the pipeline, so you
# can see whether you were right.

# %%
rerun_prediction = ["train_model"]  # your turn: every step that will run again

# %%
rerun_prediction = your_turn.submit(
    "rerun-prediction",
    rerun_prediction,
    check=lambda value: exercise_checks.check_rerun_prediction(value, parameter="train_months", language=language),
)

# %%
shorter = pipeline.run_pipeline(lab, **size, train_months=8, language=language)
print(translate("{run} executed: {steps}", language=language, run=shorter.name, steps=", ".join(shorter.executed)))
print(translate("{run} reused:   {steps}", language=language, run=shorter.name, steps=", ".join(shorter.cached)))

# %% [markdown]
# **Exercise 3: write a cache key.** This time you write code, and hidden tests check it. `run_pipeline` skips a
# step that already ran on the same inputs. It decides with a **cache key**: a text computed from the step's name,
# its parameters and the content hashes of its input artifacts. Equal keys mean "reuse the stored outputs". So the
# key must be equal whenever these are equal (the same parameters written in another order are still the same
# parameters), and different whenever anything that shapes the step's result changes; otherwise the pipeline
# reuses a stale result. It must also be the same after Python restarts, or the cache never hits again.
#
# Complete `cache_key(step, params, inputs)`: `step` is a step's name, `params` maps parameter names to values
# (a value can itself be a dict), `inputs` maps input names to content hashes; it returns a `str`. The starting
# point forgets something. The next cell runs tests you do not see, edge cases included, and names every situation
# your function gets wrong. Your code is saved with your progress.


# %%
def cache_key(step, params, inputs):
    # your turn: a key that changes whenever anything that shapes the step's result changes
    return step + str(sorted(params.items()))


# %%
from mlops_lab.i18n import translate

cache_key = your_turn.submit_code("cache-key", cache_key)
same_settings = {"train_months": 9, "model_params": {"C": 0.05}}
old_data = cache_key("train_model", same_settings, {"train": train.content_hash})
new_data = cache_key("train_model", same_settings, {"train": test.content_hash})
print(
    translate("Training data replaced, same settings: the key changes.", language=language)
    if old_data != new_data
    else translate("Training data replaced, same settings: the key stays the same.", language=language)
)

# %% [markdown]
# ## 6. Lab: the same pipeline on Kubeflow Pipelines, compiled for Vertex AI
#
# `mlops_lab.kfp_pipeline` wraps each step in a Kubeflow Pipelines (KFP v2) component and wires them into a
# pipeline. The job submitted at the top of this notebook compiled that pipeline and ran it with KFP's local
# `SubprocessRunner`, up to the validation gate: every task ran in its own Python process, with artifacts passed
# between tasks as files, like containers on Vertex AI. Its log (several hundred lines) stays in the workspace,
# out of this notebook.

# %%
# A kernel restart forgets the job submitted at the top of the notebook: submit it again here if so.
if "kfp_job" not in globals():
    kfp_job = kfp_pipeline.submit_local_run(lab, last_step="validate_model", language=language, **size)
kfp_run = kfp_job.wait()
kfp_run

# %% [markdown]
# Same code, same seed, same data, same machine: the Kubeflow run and this notebook's first run should agree on
# every artifact the Kubeflow run produced, byte for byte (the last column compares the files' bytes; the other
# two show the fingerprints). (Serving and monitoring were not part of this local run;
# the workbook's tests run all eight steps with Kubeflow and compare those artifacts too.)

# %%
print(
    translate(
        "same metrics: {same} (ROC AUC {auc:.4f})",
        language=language,
        same=kfp_run.metrics == first.metrics,
        auc=kfp_run.metrics["roc_auc"],
    )
)
kfp_pipeline.compare_runs(first, kfp_run, language=language)

# %% [markdown]
# The compiler turned the pipeline into a YAML file (a *PipelineSpec*), saved in the workspace. That file, not
# the Python code, is what you upload to **Vertex AI Pipelines**, which runs each task in its own container on
# managed machines and records the lineage in Vertex ML Metadata. Here is its header and the task graph read
# back from it.

# %%
spec_path = lab / kfp_pipeline.KFP_DIR / kfp_pipeline.PIPELINE_FILE
print("\n".join(spec_path.read_text().splitlines()[:10]))
spec = kfp_pipeline.describe_pipeline_spec(spec_path, language=language)
print(spec)
spec.table()

# %% [markdown]
# To run it on Google Cloud you would build a container image with this workbook installed, compile with
# `base_image` set to that image, and submit the file with the Vertex AI SDK (not run here: it needs a project).
# The service is called *Agent Platform Pipelines* in today's documentation (Vertex AI is becoming part of Gemini
# Enterprise Agent Platform; notebook 05 has the table of names). The package to install is still
# `google-cloud-aiplatform`, and the import below is the one its current documentation uses:
#
# ```python
# from google.cloud import aiplatform
#
# aiplatform.PipelineJob(
#     display_name="churn-lifecycle",
#     template_path="churn_lifecycle.yaml",
#     pipeline_root="gs://YOUR_BUCKET/pipeline_root",
#     parameter_values={"seed": 42, "model_params": {"C": 0.05}},
#     enable_caching=True,
# ).submit()
# ```
#
# Vertex AI Pipelines caches steps the same way: a task whose component and inputs match an earlier successful
# execution is skipped and its outputs reused.

# %% [markdown]
# ## 7. Quiz
#
# Pick an answer and press **Check** for each question. Your answer to the prediction in section 3 is already
# here; two questions ask what the pipeline's cache would do: section 3 explains the cache key.

# %%
show_quiz("03_ml_lifecycle", answers=quiz_answers, workspace=workspace, seed=seed, language=language)

# %% [markdown]
# ## 8. Summary
#
# - The ML lifecycle has eight steps: data extraction, data analysis, data preparation, model training, model
#   evaluation, model validation, model serving and model monitoring; monitoring can start the next turn.
# - As a pipeline, each step is a function with declared inputs, outputs and parameters. A content-hash cache
#   reruns only what a change affects: zero steps for an identical run, five for a new model setting.
# - A metadata store of artifacts, executions, events and contexts answers lineage questions in both directions.
# - The same steps run as Kubeflow components give byte-identical artifacts, and compile to the YAML Vertex AI
#   Pipelines runs.
#
# **On Google Cloud.** Each step has a managed service at scale:
#
# | step or record | here | on Google Cloud |
# |---|---|---|
# | data extraction | `extract_data`, a seeded generator | BigQuery, Cloud Storage |
# | data analysis and preparation | pandas | Vertex AI Workbench, Dataflow, BigQuery; Vertex AI Feature Store for features |
# | model training | scikit-learn | Vertex AI Training (custom jobs), Vertex AI Vizier for tuning |
# | model evaluation and validation | holdout metrics and a gate | Vertex AI Model Evaluation, Experiments; a condition in the pipeline; Model Registry |
# | model serving | a local endpoint | Vertex AI Endpoints (online), batch prediction |
# | model monitoring | drift scores | Vertex AI Model Monitoring (skew and drift; v1's default measures) |
# | pipeline and caching | `run_pipeline`, KFP local runner | Vertex AI Pipelines |
# | lineage | SQLite store in MLMD's model | Vertex ML Metadata |
#
# **Read more.** Google's [*Practitioners guide to MLOps*](https://services.google.com/fh/files/misc/practitioners_guide_to_mlops_whitepaper.pdf)
# (2021): find the figure of the seven processes around "data and model management" and, for each, what it reads
# and writes; compare with the lifecycle table of section 1. Then, in Google Cloud's
# [*MLOps: Continuous delivery and automation pipelines in machine learning*](https://cloud.google.com/architecture/mlops-continuous-delivery-and-automation-pipelines-in-machine-learning),
# read "Data science steps for ML" for the eight steps. Terms are in the [glossary](../GLOSSARY.md); the full
# reading list is in [READING.md](../READING.md).

# %%
print(scorecard("03_ml_lifecycle", workspace=workspace, language=language))
