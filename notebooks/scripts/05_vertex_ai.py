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
# # 05 · Vertex AI: MLOps on one platform, rebuilt on your laptop
#
# Vertex AI is Google Cloud's machine-learning platform. Its promise is not one clever tool but **one place**
# for the whole lifecycle: data and features, training and tuning, experiments, a model registry, online and
# batch serving, monitoring and explanations, all sharing the same metadata. In this notebook you run every one
# of those capabilities end to end on the workbook's churn data, with the open-source tool that does the same
# job locally. Under each step, a box shows the Vertex AI SDK call that would do it in the cloud (shown, never
# run: no account needed).
#
# Vertex AI is becoming part of **Gemini Enterprise Agent Platform**, and the documentation now uses new names for
# its services; section 1 has the table, so you can find each page under either name.
#
# **Learning objectives.** By the end of this notebook you can:
# 1. explain why a unified platform reduces the hidden technical debt of ML systems;
# 2. build a training set with point-in-time correct features, and show the leakage a naive join causes;
# 3. run a seeded hyperparameter study (Vizier's job) and track every trial in MLflow (Experiments' job);
# 4. version models in a registry with aliases, and promote a challenger after a canary release;
# 5. serve a model over HTTP with input validation, a traffic split and request logging;
# 6. monitor the logged requests for training-serving skew and drift (and say what Model Monitoring v2 changes);
# 7. explain the model's predictions, and match Explainable AI's three methods to the models they suit;
# 8. find today's name of each service, and the Python import to use with it.

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
import matplotlib.pyplot as plt
import pandas as pd

from mlops_lab import (
    data,
    evaluation,
    exercise_checks,
    explainability,
    features,
    monitoring,
    registry,
    serving,
    tracking,
    training,
    tuning,
)
from mlops_lab.environment import configure_kernel, open_workspace
from mlops_lab.exercises import ExerciseBook
from mlops_lab.i18n import translate
from mlops_lab.quiz import scorecard, show_quiz

configure_kernel()
workspace = open_workspace(workspace)
your_turn = ExerciseBook(
    "05_vertex_ai", solutions=solutions, workspace=workspace, seed=seed, mode=mode, language=language
)
customers_per_month = 200 if mode == "smoke" else 500

# %% [markdown]
# ## 1. Why one platform?
#
# *Hidden Technical Debt in Machine Learning Systems* (Sculley et al., 2015; notebook 00, section 4.3) found that
# the model is a small box in a large system, and that most of the cost hides around it: **glue code** between tools that each
# expect their own formats, **pipeline jungles** of scrapes and joins, **configuration debt**, **undeclared
# consumers** of a model's output, and the CACE principle: *changing anything changes everything*. Each tool
# you bolt on adds glue. A platform where the feature store, training, the registry, endpoints and monitoring
# share one metadata store replaces that glue with conventions: the endpoint knows which registry version it
# serves, the monitor knows which training data that version saw.
#
# | Vertex AI | its job | here, on your laptop |
# |---|---|---|
# | Workbench | managed JupyterLab next to the data | this JupyterLab |
# | Feature Store | features over time; point-in-time retrieval | `features.point_in_time_join` (pandas) |
# | Vizier | hyperparameter studies (Bayesian by default) | `tuning.run_study` (optuna TPE, seeded) |
# | Experiments, TensorBoard | runs, parameters, metrics, training curves | MLflow tracking, matplotlib |
# | Model Registry | versions and aliases (`default` on the first version) | MLflow registry aliases |
# | Model Evaluation | metrics per model version and per slice | scikit-learn metrics |
# | Endpoints, batch prediction | online serving with a traffic split; batch jobs | `serving.Endpoint` (HTTP on 127.0.0.1), `serving.batch_predict` |
# | Model Monitoring | skew and drift on logged requests, alerts | `monitoring` (Jensen-Shannon, L-infinity) |
# | Explainable AI | feature attributions: sampled Shapley, integrated gradients, XRAI | permutation importance |
#
# ### Names on Google Cloud today (checked in December 2026)
#
# Google's documentation now says Vertex AI is becoming part of **Gemini Enterprise Agent Platform**, and its page
# [*Vertex AI name changes*](https://docs.cloud.google.com/gemini-enterprise-agent-platform/vertex-ai-name-changes)
# maps old names to new ones. The course, and many tutorials, use the old names. The names marked with a star were
# read on the current documentation pages; the others follow the same pattern in the documentation's page paths,
# so check them on the name-changes page before you rely on them.
#
# | name in the course | name in today's documentation | what this workbook builds for it |
# |---|---|---|
# | Vertex AI (the platform) | Gemini Enterprise Agent Platform * | the whole workbook, offline |
# | Vertex AI SDK for Python | Agent Platform SDK for Python *, still the `google-cloud-aiplatform` package | the boxes under each step |
# | Vertex AI Workbench | Agent Platform Workbench * | this JupyterLab |
# | Vertex AI Pipelines | Agent Platform Pipelines * | notebook 03: the pipeline, run with Kubeflow Pipelines and compiled to YAML |
# | Vertex ML Metadata | Gemini Enterprise Agent Platform ML Metadata * | notebook 03: the SQLite metadata store |
# | Vertex AI Experiments | Agent Platform Experiments * | MLflow tracking (notebooks 01, 04, 05) |
# | Vertex AI Vizier | Agent Platform Vizier * | `tuning.run_study` (optuna) |
# | Vertex AI Feature Store | Agent Platform Feature Store * | `features.point_in_time_join` |
# | Vertex AI Model Registry | Model Registry, in Agent Platform's documentation | the MLflow registry and its aliases |
# | Vertex AI Endpoints, batch prediction | under Agent Platform, same pattern | `serving.Endpoint`, `serving.batch_predict` |
# | Vertex AI Model Monitoring | under Agent Platform, same pattern | `monitoring` (Jensen-Shannon, L-infinity) |
# | Vertex Explainable AI | under Agent Platform, same pattern | `explainability.feature_attributions` |
#
# **Which import?** You install one package, `google-cloud-aiplatform`, whatever the name. It ships the module
# `google.cloud.aiplatform` (the MLOps classes used in the boxes below: `Model`, `Endpoint`, `PipelineJob`,
# `ModelDeploymentMonitoringJob`, which the current documentation still imports this way), the `vertexai` module
# (`vertexai.init` and the preview modules for Feature Store and Model Monitoring v2) and a newer `agentplatform`
# module, which Google's own tools now recommend for new code. The boxes use the first two; if your version of
# the package has moved a class, look it up by its class name in the SDK reference, which is published under both
# names.
#
# **Workbench.** You are already using the local counterpart: Vertex AI Workbench is a managed JupyterLab
# whose notebooks run next to BigQuery and the rest of Vertex AI. Everything below starts with one call:
#
# ```python
# from google.cloud import aiplatform   # pip install google-cloud-aiplatform; unchanged by the rename
# aiplatform.init(project="my-project", location="europe-west4", experiment="churn", staging_bucket="gs://my-bucket")
# ```
#
# The data: a year of monthly customer snapshots. From August the customer mix shifts a little more each month
# (higher prices, more month-to-month contracts, more support calls), which monitoring will have to notice. Models train on January to May, are
# validated on June and serve from July.

# %%
customers = data.make_customers(
    n_months=12, customers_per_month=customers_per_month, seed=seed, covariate_drift=1.5, covariate_drift_start=7
)
train, later = data.split_by_month(customers, train_months=5)
valid, production = data.split_by_month(later, train_months=1)
print(
    translate(
        "train {train} rows (2025-01 to 2025-05), validation {valid} (2025-06), production {production} (2025-07 to 2025-12)",
        language=language,
        train=len(train),
        valid=len(valid),
        production=len(production),
    )
)
store = tracking.open_store(workspace, experiment="05_vertex_ai")

# %% [markdown]
# ## 2. Feature Store: what did we know, and when?
#
# A feature store keeps every value a feature has taken, each stamped with the time it became known. Our
# customers' features are recorded three times around each monthly snapshot: a month before, at the snapshot
# (when the churn prediction is made), and 20 days later. By then, customers who are leaving have phoned
# support to cancel and stopped using the service. That late information is real, but the model can never
# have it when it predicts.

# %%
labels, feature_rows = features.make_feature_history(customers, seed=seed)
churner = labels[labels["customer_id"].isin(train["customer_id"]) & (labels["churned"] == 1)].iloc[0]["customer_id"]
print(
    translate(
        "labels: {labels} rows; feature history: {history} rows. The history of churner {churner}:",
        language=language,
        labels=len(labels),
        history=len(feature_rows),
        churner=churner,
    )
)
feature_rows[feature_rows["customer_id"] == churner][["customer_id", "feature_time", "support_calls", "data_usage_gb"]]

# %% [markdown]
# A **point-in-time join** gives every label row the latest feature values recorded *at or before* its
# prediction time. The naive alternative, joining each customer's latest values, quietly uses the future.
# Train the same model on both and compare what offline evaluation promises with what serving delivers:

# %%
features.leakage_report(
    labels, feature_rows, train_ids=train["customer_id"], test_ids=valid["customer_id"], seed=seed, language=language
)

# %% [markdown]
# The naive join promises a near-perfect model and delivers a poor one: offline and online disagree because
# training saw information production never has. From here on, training rows come from the point-in-time
# join (for this dataset, they equal the monthly snapshots).
#
# ```python
# # Vertex AI Feature Store: offline serving from BigQuery with a point-in-time lookup
# from vertexai.resources.preview.feature_store import offline_store
# training_df = offline_store.fetch_historical_feature_values(
#     entity_df=labels_df,                                  # customer_id + timestamp (+ label) per row
#     features=[customer_group.get_feature("support_calls"), customer_group.get_feature("data_usage_gb")],
# )
# ```

# %% [markdown]
# ## 3. Vizier: a hyperparameter study, every trial tracked
#
# Vertex AI Vizier runs **studies**: it proposes **trials** (sets of hyperparameter values) from a search
# space, reads back the metric each trial reports, and uses Bayesian optimisation to propose better ones.
# optuna's **TPE** sampler (Tree-structured Parzen Estimator) does the same locally: after a few trials it models
# which values gave good scores and which gave bad ones, and proposes values more like the good ones. Seeded, it
# proposes the same trials every run. Each trial is also
# logged as an MLflow run tagged with the study, which is what Vertex AI Experiments would show.

# %%
space = {"max_depth": tuning.IntegerParameter(2, 14), "min_samples_leaf": tuning.IntegerParameter(1, 64, log=True)}
study = tuning.tune_churn_model(
    train,
    valid,
    kind="random_forest",
    parameters=space,
    max_trial_count=6 if mode == "smoke" else 8,
    seed=seed,
    on_trial=tuning.mlflow_trial_logger("rf-study", data={"train": train, "valid": valid}),
    language=language,
)
print(study)
study.trials.round(4)

# %% [markdown]
# ```python
# from google.cloud.aiplatform import hyperparameter_tuning as hpt
# job = aiplatform.HyperparameterTuningJob(
#     display_name="rf-study",
#     custom_job=aiplatform.CustomJob.from_local_script(display_name="rf-trial", script_path="train.py", container_uri=SKLEARN_IMAGE),
#     metric_spec={"roc_auc": "maximize"},            # train.py reports it with the cloudml-hypertune package
#     parameter_spec={"max_depth": hpt.IntegerParameterSpec(min=2, max=14, scale="linear"),
#                     "min_samples_leaf": hpt.IntegerParameterSpec(min=1, max=64, scale="log")},
#     max_trial_count=8, parallel_trial_count=2,      # the search algorithm defaults to Bayesian optimisation
# )
# job.run()
# ```
#
# ## 4. Experiments: runs and training curves
#
# Every trial above is already an MLflow run, with its parameters, its metric and the fingerprints of its data,
# so questions across runs are one query away, as in Vertex AI Experiments:

# %%
trial_runs = tracking.compare_runs(
    store=store, metrics=["roc_auc"], params=["max_depth", "min_samples_leaf"], filter_string="tags.study = 'rf-study'"
)
print(
    translate("MLflow holds {n} runs of the study.", language=language, n=len(trial_runs)),
    tracking.best_run(trial_runs, metric="roc_auc", language=language),
)

# %% [markdown]
# A single final metric hides how a model got there. Gradient boosting adds trees one at a time, so we can
# replay it stage by stage: the training loss keeps falling, while the validation loss turns back up once the
# extra trees only fit noise. The curve is logged to MLflow as a metric history (one value per step), the
# counterpart of Vertex AI Experiments' time-series metrics shown in TensorBoard.

# %%
boosted_params = {"n_estimators": 40 if mode == "smoke" else 80, "learning_rate": 0.3, "max_depth": 3}
boosted = training.train_model(train, kind="gradient_boosting", params=boosted_params, seed=seed)
curve = evaluation.training_curve(boosted, train, valid, language=language)
evaluation.log_training_curve(curve, run_name="gb-curve", params=boosted_params)
print(curve)
curve.plot(title=translate("Gradient boosting: more trees is not always better", language=language))
plt.show()

# %% [markdown]
# ```python
# aiplatform.init(experiment="churn", experiment_tensorboard=tensorboard)
# aiplatform.start_run("gb-curve")
# aiplatform.log_params({"n_estimators": 80, "learning_rate": 0.3, "max_depth": 3})
# for step, row in curve.history.iterrows():
#     aiplatform.log_time_series_metrics({"train_loss": row.train_loss, "valid_loss": row.valid_loss}, step=step)
# aiplatform.end_run()
# aiplatform.get_experiment_df()                      # every run of the experiment as a table
# ```
#
# ## 5. Model Registry: versions and aliases
#
# The first version went to production with the random forest's default settings. The study's best
# settings make version 2, the **challenger**. On Vertex AI the first version of a model automatically gets
# the alias `default` (what a deployment uses when no version is named). A later version uploaded with
# `Model.upload(parent_model=...)` takes `default` too, unless you pass `is_default_version=False`: that is why the
# box below passes `False` for the challenger, which must not serve before it is validated. MLflow has no such
# rule, so we set `default` ourselves, together with `champion`.

# %%
registered = "churn-vertex-lab"
first_model = training.train_model(train, kind="random_forest", seed=seed)
tracking.log_run(
    name="rf-defaults",
    params={},
    metrics=tracking.outcome_metrics(first_model, valid),
    data={"train": train, "valid": valid},
    model=first_model,
    store=store,
)
registry.register_model("rf-defaults", name=registered, alias="default", store=store)
registry.set_alias(registered, alias="champion", version=1, language=language)

# %% [markdown]
# Version 2 is the same model with the study's best settings. It enters the registry as the `challenger`:

# %%
tuned_model = training.train_model(train, kind="random_forest", params=study.best_params, seed=seed)
tracking.log_run(
    name="rf-tuned",
    params=study.best_params,
    metrics=tracking.outcome_metrics(tuned_model, valid),
    data={"train": train, "valid": valid},
    model=tuned_model,
    store=store,
)
registry.register_model("rf-tuned", name=registered, alias="challenger", store=store)
registry.registry_table(registered, language=language)

# %% [markdown]
# ```python
# v1 = aiplatform.Model.upload(display_name="churn", artifact_uri="gs://my-bucket/churn/v1",
#                              serving_container_image_uri=SKLEARN_SERVING_IMAGE)      # gets alias "default"
# v2 = aiplatform.Model.upload(parent_model=v1.resource_name, artifact_uri="gs://my-bucket/churn/v2",
#                              serving_container_image_uri=SKLEARN_SERVING_IMAGE,
#                              is_default_version=False,  # without it, v2 would take "default" from v1
#                              version_aliases=["challenger"])
# aiplatform.models.ModelRegistry(v1).add_version_aliases(["champion"], version="1")
# ```
#
# ## 6. Model Evaluation: is the challenger better, and for whom?
#
# Vertex AI stores an evaluation with each model version, optionally per slice of the data. Compare both
# versions on the June validation month, overall and per contract type: a challenger that wins on average but
# loses badly on one segment deserves a second look.

# %%
champion_model = registry.load_model(registered, alias="champion")
challenger_model = registry.load_model(registered, alias="challenger")
slices = {
    "v1 (champion)": evaluation.evaluate_slices(champion_model, valid, by="contract")["roc_auc"],
    "v2 (challenger)": evaluation.evaluate_slices(challenger_model, valid, by="contract")["roc_auc"],
}
pd.DataFrame(slices).round(4)

# %% [markdown]
# ```python
# evaluation = v2.get_model_evaluation()              # stored by a training pipeline or by v2.evaluate(...)
# evaluation.metrics["auRoc"]
# ```
#
# ## 7. Endpoints: online prediction over HTTP
#
# A Vertex AI Endpoint is an HTTPS address that hosts one or more deployed models. `serving.Endpoint` is a
# real HTTP server (FastAPI on uvicorn) in a background thread of this kernel, bound to 127.0.0.1 on a port the
# operating system picks. It loads what the registry aliases point to, validates every request against the
# model's input schema and logs every answered instance. Only the champion gets traffic for now.

# %%
serving.stop_all()  # if you re-run this cell, the endpoint it started last time stops first
endpoint = serving.Endpoint(
    [
        serving.DeployedModel("v1", champion_model, version="1", source=f"models:/{registered}@champion"),
        serving.DeployedModel("v2", challenger_model, version="2", source=f"models:/{registered}@challenger"),
    ],
    traffic_split={"v1": 100, "v2": 0},
    language=language,
).start()
port = endpoint.port  # kept to check it is free at the end; never printed (it changes every run)
request = serving.instances_from_frame(production.head(2))
response = endpoint.predict(request, request_id="first-request")
print(
    endpoint,
    translate("request:  {request}\nresponse: {response}", language=language, request=request[0], response=response),
    sep="\n",
)

# %% [markdown]
# A client that sends the wrong thing (a renamed column, a contract type the model never saw, text where a
# number belongs) gets a `422` answer that names every problem, and the model never sees the row:

# %%
bad = dict(request[0], contract="three-year", tenure_months="two years")
bad["support_tickets"] = bad.pop("support_calls")
try:
    endpoint.predict([bad], request_id="bad-request")
except serving.PredictionRequestError as error:
    print(f"HTTP {error.status_code}")
    print("\n".join(error.problems))

# %% [markdown]
# ### A canary release
#
# Rather than switching every customer to version 2 at once, send it 10% of the traffic. The split is decided
# by hashing the request id, so a given request (here, a customer) always reaches the same version, which
# makes any complaint reproducible.

# %%
endpoint.set_traffic_split({"v1": 90, "v2": 10})
july = production[production["month"] == "2025-07-01"].head(100)
for instance, customer_id in zip(serving.instances_from_frame(july), july["customer_id"], strict=True):
    endpoint.predict([instance], request_id=customer_id)
log = endpoint.request_log()
canary = log[log["request_id"].isin(july["customer_id"])]
challenger_requests = int((canary["model_id"] == "v2").sum())
canary.groupby("model_id").agg(requests=("request_id", "nunique"), mean_probability=("probability", "mean")).round(4)

# %% [markdown]
# The canary answered its share without errors. The decision also needs the offline evaluation of section 6:
# if version 2 is better overall, the `champion` alias moves to version 2 and the endpoint sends it all traffic;
# if not, the canary is rolled back and version 1 keeps all traffic. Either way it is two calls, and undoing
# them is the same two calls in reverse. From here on, the serving model is whichever version is the champion.

# %%
v1_auc, v2_auc = slices["v1 (champion)"]["(all)"], slices["v2 (challenger)"]["(all)"]
promote = v2_auc > v1_auc
if promote:
    registry.set_alias(registered, alias="champion", version=2)
    endpoint.set_traffic_split({"v1": 0, "v2": 100})
else:
    endpoint.set_traffic_split({"v1": 100, "v2": 0})
serving_id, serving_model = ("v2", challenger_model) if promote else ("v1", champion_model)
if promote:
    decision = translate("promote version 2", language=language)
else:
    decision = translate("keep version 1 and roll the canary back", language=language)
print(
    translate(
        "overall ROC AUC on June: v2 {v2:.4f}, v1 {v1:.4f}: {decision}",
        language=language,
        v2=v2_auc,
        v1=v1_auc,
        decision=decision,
    )
)
print(endpoint)
registry.registry_table(registered, language=language)

# %% [markdown]
# ```python
# endpoint = aiplatform.Endpoint.create(display_name="churn-endpoint")
# v1.deploy(endpoint=endpoint, machine_type="n1-standard-2", traffic_percentage=100)
# v2.deploy(endpoint=endpoint, machine_type="n1-standard-2", traffic_percentage=10)   # the canary: v1 keeps 90
# endpoint.predict(instances=[...])
# endpoint.update(traffic_split={v1_deployed_id: 0, v2_deployed_id: 100})            # promote
# ```
#
# ### Batch prediction
#
# Scoring every customer once a month needs no endpoint: a batch job reads a table and writes a table.

# %%
batch = serving.batch_predict(
    serving.DeployedModel(serving_id, serving_model, version=serving_id.removeprefix("v")),
    production,
    output_path=workspace / "batch_predictions.csv",
    language=language,
)
print(batch)
batch.predictions.head(3)

# %% [markdown]
# ```python
# job = v2.batch_predict(job_display_name="churn-monthly", bigquery_source="bq://my-project.crm.customers",
#                        bigquery_destination_prefix="bq://my-project.predictions", instances_format="bigquery",
#                        machine_type="n1-standard-2")
# ```
#
# ## 8. Model Monitoring: skew and drift on the endpoint's own log
#
# Now replay the production months through the endpoint, a request of 50 customers at a time. In production
# the log's timestamps would cut it into monitoring windows; here a year passes in seconds, so each request id
# starts with the month it belongs to.

# %%
for month, batch_frame in data.monthly_batches(production):
    rows = serving.instances_from_frame(batch_frame)
    for start in range(0, len(rows), 50):
        endpoint.predict(rows[start : start + 50], request_id=f"{month}/{start // 50:03d}")
log = endpoint.request_log()
served = log[log["request_id"].str.startswith("2025-")]
windows = [(month, rows) for month, rows in served.groupby(served["request_id"].str[:7], sort=True)]
print(
    translate(
        "{n} logged instances in {windows} monthly windows", language=language, n=len(served), windows=len(windows)
    )
)

# %% [markdown]
# **Skew** (training-serving skew) compares each window with the training data; **drift** compares each window
# with the previous one. (Notebook 02's schema and value skew are data validation's checks on a batch before
# training: the same word for another check.) Model Monitoring v1 uses the Jensen-Shannon divergence for numeric
# features and the L-infinity distance for categorical ones, and alerts at 0.3 by default; v2 lets you choose the
# metric and the thresholds per objective (notebook 04, section 3). The shift is gradual, so compare both views:

# %%
skew = monitoring.drift_over_time(train, windows, kind="skew", language=language)
drift = monitoring.DriftTimeline(
    periods=tuple(month for month, _ in windows[1:]),
    reports=tuple(
        monitoring.detect_drift(before, after, language=language)
        for (_, before), (_, after) in zip(windows[:-1], windows[1:], strict=True)
    ),
    language=language,
)
print(translate("skew against the training data:", language=language), skew)
print(translate("drift against the previous month:", language=language), drift)
print(translate("December:", language=language), skew.reports[-1].summary())
skew.plot(title=translate("Skew: each month of requests against the training data", language=language))
plt.show()

# %% [markdown]
# Month over month, nothing moves far enough to alert: each step is small. Against the training data the
# same changes add up until they cross the threshold. That is why Vertex AI offers both checks, and why the
# alert is the start of the next iteration of the lifecycle (retraining on recent data), not the end.
#
# ```python
# # Model Monitoring v1: a job attached to the endpoint, with v1's metrics
# from google.cloud.aiplatform import model_monitoring
# objective = model_monitoring.ObjectiveConfig(
#     skew_detection_config=model_monitoring.SkewDetectionConfig(
#         data_source="bq://my-project.crm.training", target_field="churned",
#         skew_thresholds={"monthly_charges": 0.3, "contract": 0.3}),
#     drift_detection_config=model_monitoring.DriftDetectionConfig(drift_thresholds={"monthly_charges": 0.3}),
# )
# aiplatform.ModelDeploymentMonitoringJob.create(
#     display_name="churn-monitoring", endpoint=endpoint, objective_configs=objective,
#     logging_sampling_strategy=model_monitoring.RandomSampleConfig(sample_rate=0.5),
#     schedule_config=model_monitoring.ScheduleConfig(monitor_interval=24),          # hours
#     alert_config=model_monitoring.EmailAlertConfig(user_emails=["ml-team@example.com"]),
# )
# # Model Monitoring v2 (preview SDK): a model monitor on a registered model version; each objective names its metric
# from vertexai.resources.preview.ml_monitoring.spec import DataDriftSpec
# drift_spec = DataDriftSpec(categorical_metric_type="l_infinity", numeric_metric_type="jensen_shannon_divergence",
#                            default_categorical_alert_threshold=0.3, default_numeric_alert_threshold=0.3)
# ```
#
# The endpoint's work is done: stop it. Stopping frees the port, and stopping twice is harmless.

# %%
endpoint.stop()
endpoint.stop()
print(
    translate(
        "endpoint running: {running}; its port still in use: {in_use}",
        language=language,
        running=endpoint.is_running,
        in_use=serving.is_listening(port),
    )
)

# %% [markdown]
# ## 9. Explainable AI: which features drive the predictions?
#
# Vertex AI Explainable AI attributes each prediction to the input features. It offers three methods, each for a
# kind of model:
#
# | method | how it attributes | for |
# |---|---|---|
# | **sampled Shapley** | a feature's average contribution over random orders in which features are "switched on"; the attributions add up to the difference between the prediction and a baseline prediction | any model, since it only calls it: tabular models, trees and ensembles like this notebook's random forest |
# | **integrated gradients** | adds up the model's gradients along a path from a baseline input (all zeros, say) to the real input | differentiable models, such as neural networks, on tabular or image data |
# | **XRAI** | builds on integrated gradients and groups the attributions into regions of the picture | image models (natural images) |
#
# Our model is a random forest on tabular data, so on Vertex AI it would use sampled Shapley. Locally,
# **permutation importance** asks a related, global question: how much worse does the model get when one input
# column is shuffled? Both work on the raw input features, so the rankings are comparable; Shapley explains
# one prediction at a time, permutation importance the model as a whole.

# %%
attributions = explainability.feature_attributions(
    serving_model, valid, n_repeats=3 if mode == "smoke" else 5, seed=seed, language=language
)
print(attributions)
attributions.plot(
    title=translate("Permutation importance of the serving model ({model})", language=language, model=serving_id)
)
plt.show()

# %% [markdown]
# ```python
# parameters = aiplatform.explain.ExplanationParameters({"sampled_shapley_attribution": {"path_count": 10}})
# # a neural network would use {"integrated_gradients_attribution": {"step_count": 50}}; an image model "xrai_attribution"
# v2 = aiplatform.Model.upload(..., explanation_parameters=parameters, explanation_metadata=metadata)
# endpoint.explain(instances=[...]).explanations[0].attributions
# ```
#
# ## 10. Your turn
#
# **Exercise 1 (Feature Store).** Take the churner whose history you saw in section 2 (`churner`). What was
# its `support_calls` *at the moment its churn prediction was made*? The default below reads the customer's
# latest value, which leaks. Use `features.point_in_time_join(one_customer, feature_rows)` instead.

# %%
one_customer = labels[labels["customer_id"] == churner]
known_support_calls = features.latest_values_join(one_customer, feature_rows)["support_calls"].iloc[0]  # your turn

# %%
known_support_calls = your_turn.submit(
    "point-in-time-value",
    float(known_support_calls),
    check=lambda value: exercise_checks.check_point_in_time_value(
        value, labels=labels, features=feature_rows, customer_id=churner, language=language
    ),
)

# %% [markdown]
# **Exercise 2 (Endpoints).** The next challenger should get a 20% canary. Write the traffic split as a dict
# from deployed model id (`champion`, `challenger`) to a whole percentage; like Vertex AI, the check refuses a
# split that does not add up to 100.

# %%
next_canary = {"champion": 90, "challenger": 10}  # your turn

# %%
next_canary = your_turn.submit(
    "canary-split", next_canary, check=lambda value: exercise_checks.check_canary_split(value, language=language)
)

# %% [markdown]
# **Exercise 3 (Explainable AI).** Which input feature does the serving model rely on most? Read it off the
# attributions above.

# %%
top_feature = "region"  # your turn

# %%
top_feature = your_turn.submit(
    "top-feature",
    top_feature,
    check=lambda value: exercise_checks.check_top_feature(value, attributions=attributions, language=language),
)

# %% [markdown]
# **Exercise 4: write a canary routing rule.** This time you write code, and hidden tests check it. Your endpoint
# split the traffic by request id. A canary usually routes by **customer** instead: a customer who got the
# challenger once should keep getting it, or their experience flips from one request to the next. Complete
# `route_request(request, canary_percent)`, where `request` is a dict with a `request_id` and, usually, a
# `customer_id`. It returns `"challenger"` or `"champion"`, and:
#
# - the same customer always gets the same model;
# - about `canary_percent` % of the customers get the challenger (0: nobody, 100: every customer);
# - growing the canary only moves customers to the challenger, never back;
# - a request without a customer id (missing, `None` or empty) stays on the champion.
#
# Python's built-in `hash()` of a text changes every time Python starts, so it cannot keep a customer on one model;
# `hashlib` gives the same digest everywhere. The starting point routes by request id. The next cell runs tests
# you do not see, edge cases included, and names every situation your function gets wrong. Your code is saved
# with your progress.

# %%
import hashlib


def route_request(request, canary_percent):
    # your turn: route by customer, and keep requests without a customer on the champion
    bucket = int(hashlib.sha256(request["request_id"].encode()).hexdigest(), 16) % 100  # from 0 to 99
    return "challenger" if bucket < canary_percent else "champion"


# %%
from mlops_lab.i18n import translate

route_request = your_turn.submit_code("canary-route", route_request)
requests = [{"request_id": f"r-{n}", "customer_id": c} for n, c in enumerate(production["customer_id"].head(1000))]
share = sum(route_request(r, 20) == "challenger" for r in requests) / len(requests)
print(
    translate(
        "A 20% canary sends {share:.1%} of {n} production requests to the challenger.",
        language=language,
        share=share,
        n=len(requests),
    )
)

# %% [markdown]
# ## 11. Quiz
#
# Pick an answer and press **Check** for each question. One question asks about a number from this notebook's
# canary release: look back at the table above.

# %%
show_quiz(
    "05_vertex_ai",
    answers=quiz_answers,
    facts={"challenger_requests": challenger_requests},
    workspace=workspace,
    seed=seed,
    language=language,
)

# %% [markdown]
# ## 12. Summary
#
# - A unified platform replaces glue code between tools with shared metadata: each step below knew what the
#   previous one produced.
# - **Feature Store**: point-in-time joins keep the future out of training; the naive join looked excellent
#   offline and failed at serving time.
# - **Vizier** proposed trials, **Experiments** recorded them and a training curve; the **Model Registry**
#   versioned the result and moved aliases (`default`, `champion`, `challenger`).
# - **Model Evaluation** compared versions overall and per slice; an **Endpoint** served the champion over HTTP,
#   refused bad payloads, ran a 90/10 canary, and a **batch prediction** scored a table.
# - **Model Monitoring** read the endpoint's log: month-over-month drift stayed quiet while skew against the
#   training data raised the alert (v1's metrics; v2 chooses them per objective). **Explainable AI** showed which
#   features the model uses; on Vertex AI, sampled Shapley suits this model, integrated gradients a neural network,
#   XRAI an image model.
# - Today's documentation calls the platform Gemini Enterprise Agent Platform; the table in section 1 maps the names.
#
# | you did | with | on Vertex AI |
# |---|---|---|
# | point-in-time training set | `features.point_in_time_join` | Feature Store offline serving |
# | hyperparameter study | optuna via `tuning.run_study` | Vizier / `HyperparameterTuningJob` |
# | runs and a training curve | MLflow | Experiments, TensorBoard |
# | versions and aliases | MLflow registry | Model Registry |
# | metrics per version and slice | scikit-learn | Model Evaluation |
# | HTTP endpoint, canary, batch | FastAPI + uvicorn, `batch_predict` | Endpoints, batch prediction |
# | skew and drift alerts | `monitoring` (scipy-style metrics) | Model Monitoring |
# | feature attributions | permutation importance | Explainable AI (sampled Shapley; integrated gradients and XRAI for other models) |
#
# In the course's lab, *Training and Deploying a TensorFlow Model in Vertex AI*, the same path runs in the
# cloud: data from BigQuery, a training job, TensorBoard, an endpoint with explanations.
#
# **Read more.** Google Cloud's [*MLOps on Vertex AI*](https://cloud.google.com/vertex-ai/docs/start/introduction-mlops):
# for each need it lists (orchestrate workflows, track metadata, identify the best model, manage model versions,
# manage features, monitor model quality), name the section of this notebook that did it locally. Then skim the
# [name-changes page](https://docs.cloud.google.com/gemini-enterprise-agent-platform/vertex-ai-name-changes) for the
# services you used. Terms are in the [glossary](../GLOSSARY.md); the full reading list is in
# [READING.md](../READING.md).

# %%
print(scorecard("05_vertex_ai", workspace=workspace, language=language))
