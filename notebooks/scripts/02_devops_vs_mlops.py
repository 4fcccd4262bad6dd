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
# # 02 · DevOps vs MLOps: testing an ML system with CI, CD and CT
#
# DevOps taught software teams to ship small changes often and safely: every change is built and tested by
# machines, not by hand. An ML system is software too, so it needs all of that. But it also has two more moving
# parts that code tests never look at: the **data** and the **model** learned from it. This notebook shows
# where DevOps stops protecting an ML system, and builds the checks MLOps adds.
#
# **Learning objectives.** By the end of this notebook you can:
# 1. describe what CI and CD give software, and tell continuous delivery from continuous deployment;
# 2. explain, with an example, why passing code tests do not mean a healthy ML system;
# 3. validate data against a schema with pandera, and tell **schema skew** (stop the pipeline) from **value
#    skew** (retrain);
# 4. gate a candidate model against the current model, a baseline and data slices before promoting it;
# 5. say what continuous training (CT) adds, and why "building the model" belongs to CI/CD and not to CT;
# 6. name the five areas where ML differs from ordinary software.

# %% tags=["parameters"]
# Settings you may change. Another seed gives other customers and another order of quiz options; the lessons hold
# for any seed.
seed = 42  # every random number in the notebook comes from this seed
workspace = None  # folder for your progress (None: $MLOPS_LAB_WORKSPACE or ./workspace)
quiz_answers = {}  # leave empty: you answer with the Check buttons
solutions = {}  # leave empty: your answers go in the "Your turn" cells
language = "en"  # "en" or "es": the language of the quiz, the feedback, the scorecard and the tables
mode = "full"  # "full" or "smoke"; this lab is small, so both run the same data

# %%
from mlops_lab import ci, data, data_validation, exercise_checks, model_validation, training
from mlops_lab.environment import configure_kernel, open_workspace
from mlops_lab.exercises import ExerciseBook
from mlops_lab.i18n import translatable, translate
from mlops_lab.quiz import scorecard, show_quiz

configure_kernel()
workspace = open_workspace(workspace)
your_turn = ExerciseBook(
    "02_devops_vs_mlops", solutions=solutions, workspace=workspace, seed=seed, mode=mode, language=language
)

# %% [markdown]
# ## 1. What DevOps gives software
#
# **Continuous integration (CI).** Developers merge small changes into the shared code many times a day. Each
# change triggers the same automatic steps: check out the code, build it, run the unit tests, and merge only if
# everything is green. Bugs are found minutes after they are written, by the person who wrote them.
#
# **Continuous delivery (CD).** Every build that passes CI is packaged, tested further (integration, acceptance)
# and kept ready to release. Build, test, release becomes a routine instead of an event.
#
# | | continuous delivery | continuous deployment |
# |---|---|---|
# | every change is built and tested automatically | yes | yes |
# | every passing change is ready for production | yes | yes |
# | the release to production | a person decides (one click) | automatic, no human step |
#
# Our churn project has a DevOps pipeline too: the unit tests of its ML code. They check that the feature
# logic is right, that preprocessing never produces NaNs, and that training converges on a tiny sample.

# %%
code_tests = ci.run_code_tests(seed=seed, language=language)
code_tests

# %% [markdown]
# ## 2. Why that is not enough for ML
#
# Here is a year of the churn business. The model is trained on January to June and deployed. From July the
# customers change: prices go up, more of them choose month-to-month contracts, and they become much more price
# sensitive. Nobody touches the code, so CI runs the same tests every month and they pass every month.
#
# The measure is the **cost of acting on the model's decisions**: each missed churner and each wasted retention
# offer has a price, averaged per customer (lower is better). Beside the deployed (frozen) model, the chart shows a
# model retrained every quarter on the three months before.

# %%
customers = data.make_customers(
    n_months=12, seed=seed, covariate_drift=0.5, covariate_drift_start=6, concept_drift=1.0, concept_drift_month=6
)
train = customers[customers["month"] < "2025-07-01"].reset_index(drop=True)
current_model = training.train_model(train, seed=seed)
monthly = ci.quality_by_month(current_model, customers, code_tests=code_tests, seed=seed, language=language)
monthly

# %%
import matplotlib.pyplot as plt

labels = [m.month for m in monthly.months]
fig, ax = plt.subplots(figsize=(8, 3.2))
ax.plot(
    labels, [m.cost for m in monthly.months], marker="o", label=translate("deployed model (frozen)", language=language)
)
ax.plot(
    labels,
    [m.retrained_cost for m in monthly.months],
    marker="s",
    label=translate("retrained every quarter", language=language),
)
ax.axvspan(
    labels[0],
    labels[5],
    color="grey",
    alpha=0.15,
    label=translate("months the frozen model learned from", language=language),
)
ax.axvline("2025-07", color="grey", linestyle="--", label=translate("customers change", language=language))
ax.set(
    title=translate("Cost of acting on the model's decisions", language=language),
    xlabel=translate("month", language=language),
    ylabel=translate("cost per customer", language=language),
)
ax.tick_params(axis="x", labelrotation=45)
ax.legend()
plt.show()

# %%
# A score on the months a model learned from is no fair measure of it (notebook 00's rule: test on months the model
# never saw). The fair "before" figure is the same recipe on unseen months before the change: the model trained on
# January-March, scored on April-June.
before = sum(m.retrained_cost for m in monthly.months[3:6]) / 3
after = sum(m.cost for m in monthly.months[9:]) / 3
retrained_after = sum(m.retrained_cost for m in monthly.months[9:]) / 3
december = monthly.months[-1]
print(translate("Code tests: {status} in every month.", language=language, status=december.code_tests))
print(
    translate(
        "Before the change, on months the model never saw (April-June): {cost:.2f} per customer.",
        language=language,
        cost=before,
    )
)
print(
    translate(
        "Frozen model after the change: {cost:.2f} per customer in October-December.", language=language, cost=after
    )
)
print(
    translate(
        "A model retrained on the last quarter: {cost:.2f} per customer in October-December.",
        language=language,
        cost=retrained_after,
    )
)
print(
    translate(
        "December: {churned:.0%} of customers churned; the model forecast {forecast:.0%}.",
        language=language,
        churned=december.churn_rate,
        forecast=december.forecast,
    )
)

# %% [markdown]
# The code did not change, so its tests could not notice anything. The model got worse **silently**: it still
# answers every request, its forecast looks plausible, and only the business numbers drift away. Software does
# not decay when the world changes; a model does, because what it learned was a snapshot of the data.
#
# Two things in the chart can look wrong, and both are lessons:
#
# - **The grey months.** The frozen model's cost from January to June is *in-sample*: it is scored on the months it
#   learned from, whose outcomes it has already seen. Such a score usually flatters a model and never tells you
#   how it does on new customers; that is why the "before" figure above comes from unseen months.
# - **July to September.** The quarterly model serving then was trained on April to June: it has not seen the
#   change either, and it learned from half as many months as the frozen model, so it has no reason to do better
#   and can do worse. Retraining pays only once the training window holds the new behaviour: the model trained on
#   July to September, serving from October. Retraining is not magic; retraining *on the right data* is.
#
# So an ML pipeline has to test two more things than a software pipeline: the **data** that comes in, and the
# **model** that goes out. Google Cloud's MLOps guide puts it this way: CI also tests and validates data,
# data schemas and models; CD delivers a training pipeline that then deploys the model; and continuous
# training (CT), which only ML has, retrains and serves models automatically.

# %% [markdown]
# ## 3. Lab: a CI pipeline for a small ML project
#
# The pipeline has four stages. Stage 1 is what DevOps already runs; stages 2 to 4 are what MLOps adds.
#
# | stage | checks | in a plain DevOps pipeline? |
# |---|---|---|
# | 1. code tests | feature logic, no NaNs, training converges | yes |
# | 2. data validation | schema (columns, types, missing values, ranges, categories) and statistics | no |
# | 3. model validation | the candidate beats the current model and a baseline, overall and on slices | no |
# | 4. continuous training | stages 2 and 3 run by themselves whenever new data arrives | no |
#
# Stage 1 ran above: 3/3 passed. Now the data.
#
# ### 3.1 Data validation: a schema inferred from training data
#
# `data_validation.infer_schema` reads the training data and writes down what good data looks like: the required
# columns, their types, whether values may be missing, and the allowed categories. Numeric ranges come from the
# data contract (`data.VALID_RANGES`), because the smallest and largest values of one sample are too tight:
# next month's perfectly good data would break them. The schema also keeps the training statistics, to
# measure how far a new batch has moved.

# %%
schema = data_validation.infer_schema(train, language=language)
schema

# %% [markdown]
# Now a clean month, the same month with each fault that `data.inject_faults` plants, and a month whose
# distribution has shifted. Two kinds of problems, two different reactions (the rule Google's MLOps guide gives
# for an automated training pipeline, "level 1" in notebook 04):
#
# - **schema skew**: the data does not match the schema (a column is missing, a value is impossible, a category
#   is unknown). Training on it would produce garbage: **stop the pipeline** and let a person look.
# - **value skew**: the data is valid but its statistics moved (here: a mean moves by more than 0.25 training
#   standard deviations, or a category's share by more than 0.1). The world changed: **trigger retraining**.
#
# A word of warning: "skew" has a second meaning you will meet in notebooks 04 and 05. **Training-serving skew** is
# a difference between the data a model was trained on and the data it receives when serving (for example because
# the serving code computes a feature differently); Vertex AI Model Monitoring measures it on live requests. Schema
# skew and value skew, here, compare a *new batch* with the schema *before* training on it.

# %%
months = dict(data.monthly_batches(customers))
clean = months["2025-04"]
batches = {translatable("clean month (2025-04)"): clean}
for fault in data.FAULTS:
    batches[ci.FAULT_NAMES[fault]] = data.inject_faults(clean, faults=[fault], rate=0.05, seed=seed)
batches[translatable("shifted distribution (2025-12)")] = months["2025-12"]
data_results = {name: schema.validate(batch, name=name, language=language) for name, batch in batches.items()}
data_validation.validation_summary(data_results.values(), language=language)

# %% [markdown]
# Each report lists every failing check at once (pandera's *lazy* validation), with how many rows fail and
# examples, so whoever is on call sees the whole problem in one go:

# %%
data_results["out of range"]

# %%
data_results["shifted distribution (2025-12)"]

# %% [markdown]
# Behind `schema.validate` is pandera. This is the real call, on the batch with an unknown contract type:

# %%
import pandera.pandas as pa

try:
    schema.pandera_schema().validate(batches["unseen category"], lazy=True)
except pa.errors.SchemaErrors as errors:
    failures = errors.failure_cases[["column", "check", "failure_case"]].drop_duplicates()
    print(failures.to_string(index=False))

# %% [markdown]
# One thing data validation cannot see: in July the customers became more price sensitive, yet July's data
# passes every check. A change in *how features relate to churn* (concept drift) leaves the features looking
# normal. Only fresh labels, and the model checks below, reveal it.

# %%
schema.validate(months["2025-07"], name="2025-07", language=language)

# %% [markdown]
# ### 3.2 Model validation: the gate before promotion
#
# In October the team has three months of labelled new data (July to September). The pipeline trains a
# candidate on them. Before the candidate replaces the current model, a gate compares them on October to
# December:
#
# - overall, the candidate must beat the **current model** and a **baseline** (a one-line rule: each customer's
#   churn probability is the churn rate of their contract type);
# - on each **slice** (each region, each contract type) it must not trail the current model by more than 0.02.
#   A better average can hide a group of customers the new model serves badly.
#
# The metric is F1 at the 0.5 threshold (F1 balances precision and recall, notebook 01): the business calls the
# customers the model flags, so it cares about those decisions. `ci.run_ci_pipeline` runs every stage in order (code tests, data validation,
# training, model validation) and reports which stages a plain DevOps pipeline would have run.

# %%
new_data = customers[(customers["month"] >= "2025-07-01") & (customers["month"] < "2025-10-01")]
holdout = customers[customers["month"] >= "2025-10-01"].reset_index(drop=True)
baseline = model_validation.fit_baseline(new_data)
print(baseline)
gate_slices = [{"column": "region"}, {"column": "contract"}]
pipeline = dict(
    code_tests=code_tests,
    schema=schema,
    holdout=holdout,
    current=current_model,
    baseline=baseline,
    slices=gate_slices,
    seed=seed,
    language=language,
)
run_a = ci.run_ci_pipeline(new_data, name=translatable("candidate A"), **pipeline)
run_a

# %% [markdown]
# The statistics check warns of value skew, which is exactly why this run retrains. Here is the gate in detail:

# %%
run_a.gate

# %% [markdown]
# Now the same pipeline on an extract with an upstream bug: half of the west region's cancellations were
# lost (recorded as "stayed"). Every value is still valid, so data validation cannot see it.

# %%
west_extract = model_validation.drop_cancellations(new_data, column="region", value="west", share=0.5, seed=seed)
run_w = ci.run_ci_pipeline(west_extract, name=translatable("candidate W"), **pipeline)
run_w

# %%
run_w.gate

# %% [markdown]
# What the gate saw, read from the table above:

# %%
overall_w = run_w.gate.overall
west_row = next(r for r in run_w.gate.rows if r.scope == "region = west")
other_blocks = [scope for scope in run_w.gate.blocked_by if scope not in ("overall", west_row.scope)]
beats = (
    translate("beats both", language=language)
    if overall_w.passed
    else translate("does not beat both", language=language)
)
print(
    translate(
        "On average candidate W {beats}: {candidate:.3f} against {current:.3f} (current model) and {baseline:.3f} (baseline).",
        language=language,
        beats=beats,
        candidate=overall_w.candidate,
        current=overall_w.current,
        baseline=overall_w.baseline,
    )
)
if west_row.passed:
    west_verdict = translate("within the tolerance, so it passes", language=language)
else:
    west_verdict = translate("the slice check blocks it", language=language)
print(
    translate(
        "In the west it scores {candidate:.3f} against the current model's {current:.3f} ({gap:+.3f}): {verdict}.",
        language=language,
        candidate=west_row.candidate,
        current=west_row.current,
        gap=west_row.candidate - west_row.current,
        verdict=west_verdict,
    )
)
others = ", ".join(other_blocks) or translate("none", language=language)
print(translate("Other slices where it falls behind: {others}.", language=language, others=others))
if overall_w.current < overall_w.baseline:
    print(
        translate(
            "The current model itself scores {current:.3f}, below the one-line rule's {baseline:.3f}: "
            "after the customers changed, it does worse than the baseline.",
            language=language,
            current=overall_w.current,
            baseline=overall_w.baseline,
        )
    )

# %% [markdown]
# A candidate trained on the faulty extract learns that western customers rarely leave. Promoted on its
# average, it would stop calling many churners in the west; only a check per slice can see that.
#
# And an extract that lost a column: the pipeline stops at data validation, and no model is trained on it.

# %%
broken_extract = data.inject_faults(new_data, faults=["missing_column"], seed=seed)
ci.run_ci_pipeline(broken_extract, name=translatable("broken extract"), **pipeline)

# %% [markdown]
# ### 3.3 What continuous training adds
#
# So far a person ran each check. With CT the same pipeline runs by itself whenever a month of labelled data
# arrives: validate the data, stop on schema skew, otherwise train a candidate on the last three accepted months
# and gate it against the serving model on the new month. To make it realistic, October's file arrives without
# its `data_usage_gb` column.

# %%
arrivals = [(month, months[month]) for month in ("2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12")]
arrivals[3] = ("2025-10", data.inject_faults(months["2025-10"], faults=["missing_column"], seed=seed))
ct_log = ci.continuous_training(
    arrivals,
    schema=schema,
    current=current_model,
    history=train,
    baseline=baseline,
    slices=[{"column": "region"}],
    seed=seed,
    language=language,
)
ct_log

# %% [markdown]
# Nobody had to notice the decay or start a retraining: each month the pipeline decided on its own. It promoted
# a candidate only when it passed the gate, kept the serving model otherwise, and refused October's broken file.
#
# ### 3.4 The CI report: which check caught each fault
#
# Every fault of this lab, against what a plain DevOps pipeline (code tests only) reported. Predict first: how
# many faults will the code tests catch?

# %%
show_quiz(
    "02_devops_vs_mlops",
    answers=quiz_answers,
    workspace=workspace,
    seed=seed,
    questions=["predict-code-tests"],
    language=language,
)

# %%
faults_seen = {name: result for name, result in data_results.items() if name != "clean month (2025-04)"}
faults_seen[translatable("concept change (2025-07)")] = schema.validate(months["2025-07"], name="2025-07")
faults_seen[translatable("lost west cancellations")] = run_w.gate
ci.fault_report(code_tests, faults_seen, language=language)

# %% [markdown]
# The code tests passed every time: they were never going to see any of this. Data validation caught the five
# schema faults and the shift. Two problems passed data validation because every value in them was valid: the
# lost west cancellations, which the slice gate caught, and the concept change, which no data check can see.
# It shows only in the model's results on fresh labels (section 2), which is why continuous training scores
# the serving model and each candidate on every new month.
#
# ### 3.5 Building the model: CI/CD, not CT
#
# The course asks which step is part of CI/CD but not of continuous training, and its answer is **building the
# model**. "Build" is meant as in software: turning source code into a tested artifact that can be deployed. For an
# ML system the source is the code of the model and of its training pipeline (feature logic, model methods, the
# pipeline's components). **CI** builds and tests that code (section 1's tests: feature logic, no NaNs, training
# converges) and **CD** delivers the built pipeline to production. Both run when the **code** changes.
#
# **Continuous training** runs when something else happens: new data arrives, a schedule fires, quality drops,
# the inputs shift, or a person asks for it on demand. It runs the pipeline that CD already delivered, with the
# *same* code, to retrain, validate and serve a new model, as in section 3.3.
#
# | activity | what starts it | CI/CD or CT | in this workbook |
# |---|---|---|---|
# | building the model: build and test the code of the model and its pipeline | a code change | CI/CD | section 1's code tests |
# | pipeline continuous integration (Google's name for that step in its "level 2") | a code change | CI/CD | notebook 04's level 2 |
# | delivering the tested pipeline to production | CI passing | CI/CD | notebook 04's level 2 |
# | retraining, validating and serving a model; monitoring and measuring it | new data, a schedule, a drop in quality, a shift, on demand | CT | section 3.3 |
# | feature store integration | (a component, not a trigger) | serves both: training and prediction read the same features | notebook 05 |
#
# Read the table and you will notice that "pipeline continuous integration" is CI/CD and not CT either. The course's
# quiz lists it as a wrong option and keys "building the model"; remember the course's key for its quiz, and the
# rule behind both: **code changes go through CI/CD; new data goes through CT.**
#
# ## 4. Your turn
#
# **Exercise 1: write a data check.** A data check is a plain dict: `{"column": ..., "min": ..., "max": ...}`
# for a numeric range, `{"column": ..., "allowed": [...]}` for categories, or `{"column": ..., "nullable": False}`
# to forbid missing values. Yours is run on four clean months (January, April, July and the shifted October) and
# on a batch for each planted fault. It passes when it catches at least one fault and raises **no false alarm**
# on clean data. The default rule below is a guess about tenure: fix it so it catches the out-of-range tenure
# values without firing on good customers.

# %%
my_data_check = {"column": "tenure_months", "min": 1, "max": 60}  # your turn: change the rule

# %%
clean_months = {month: months[month] for month in ("2025-01", "2025-04", "2025-07", "2025-10")}
faulty_batches = {fault: data.inject_faults(clean, faults=[fault], seed=seed) for fault in data.FAULTS}
my_data_check = your_turn.submit(
    "data-check",
    my_data_check,
    check=lambda rule: exercise_checks.check_data_rule(
        rule, clean=clean_months, faulty=faulty_batches, language=language
    ),
)

# %% [markdown]
# **Exercise 2: write a slice check.** Another candidate, B, was trained on an extract with a different upstream
# bug. It passes the lab's gate (regions and contract types):

# %%
mailed_extract = model_validation.drop_cancellations(
    new_data, column="payment_method", value="mailed-check", share=0.5, seed=seed
)
candidate_b = training.train_model(mailed_extract, seed=seed)
gate_b = model_validation.validate_model(
    candidate_b,
    data=holdout,
    current=current_model,
    baseline=baseline,
    slices=gate_slices,
    name=translatable("candidate B"),
    language=language,
)
print(translate("The lab's gate on candidate B: {verdict}", language=language, verdict=gate_b.verdict))

# %% [markdown]
# Find the segment where B falls behind the current model in this table, then write a slice spec that blocks
# B without blocking the good candidate A. A slice spec is a dict: `{"column": ..., "value": ...}` for one
# segment, or `{"column": ...}` for every value of a column.

# %%
model_validation.slice_table(
    {"current": current_model, "candidate A": run_a.candidate, "candidate B": candidate_b}, holdout, language=language
)

# %%
my_slice_check = {"column": "region", "value": "north"}  # your turn: change the slice

# %%
my_slice_check = your_turn.submit(
    "slice-check",
    my_slice_check,
    check=lambda spec: exercise_checks.check_slice_rule(
        spec, data=holdout, current=current_model, good=run_a.candidate, faulty=candidate_b, language=language
    ),
)

# %% [markdown]
# **Exercise 3: write a data-validation rule.** This time you write code, and hidden tests check it. Exercise 1
# was one rule; a pipeline checks every batch against the whole **data contract**, the promises written down in
# `mlops_lab.data`:
#
# - every column in `data.FEATURES` is there (extra columns are fine);
# - every number lies within its range in `data.VALID_RANGES`, both ends included;
# - every category is one of those in `data.CATEGORIES`;
# - no feature value is missing (NaN or `None`);
# - the batch is not empty: an empty export is a fault too.
#
# Complete `validate_batch(batch)`: it returns a list of problems, as text, and an empty list for a good batch.
# The starting point only checks the ranges. The next cell runs tests you do not see, edge cases included, and
# names every situation your rule gets wrong; then it shows what your rule says about this notebook's clean months
# and faulty batches. Your code is saved with your progress.


# %%
def validate_batch(batch):
    problems = []
    for column, (low, high) in data.VALID_RANGES.items():  # your turn: check the rest of the data contract
        if ((batch[column] < low) | (batch[column] > high)).any():
            problems.append(f"{column}: values outside {low}..{high}")
    return problems


# %%
from mlops_lab.code_exercises import outcomes

validate_batch = your_turn.submit_code("validate-batch", validate_batch)
for batch_name, verdict in outcomes(validate_batch, {**clean_months, **faulty_batches}, language=language).items():
    print(f"{batch_name:<18}{verdict}")

# %% [markdown]
# ## 5. DevOps vs MLOps: the five areas where ML differs
#
# Google Cloud's MLOps guide names five areas where an ML system differs from ordinary software. Each row below
# is filled from what this notebook showed.

# %%
ci.devops_vs_mlops(
    slice_row=west_row,
    code_tests=code_tests,
    data_results=data_results.values(),
    ct_log=ct_log,
    cost_before=before,
    cost_after=after,
    language=language,
)

# %% [markdown]
# ## 6. Quiz
#
# Pick an answer and press **Check** for each question. Two questions ask about numbers from this notebook's
# lab: look back at the output above.

# %%
show_quiz(
    "02_devops_vs_mlops",
    answers=quiz_answers,
    facts={"west_f1_gap": round(west_row.current - west_row.candidate, 3)},
    workspace=workspace,
    seed=seed,
    language=language,
)

# %% [markdown]
# ## 7. Summary
#
# - DevOps CI/CD builds, tests and releases code automatically; continuous delivery leaves the release to a
#   person, continuous deployment does not.
# - An ML system can get worse while its code and tests stay the same, because the data changes.
# - MLOps adds data validation (schema skew stops the pipeline, value skew triggers retraining), model validation
#   (beat the current model and a baseline, overall and on every slice) and continuous training (both run
#   automatically when new data arrives).
# - Building the model (its code and its pipeline) is CI/CD, started by code changes; continuous training reruns the
#   delivered pipeline when data or a trigger calls for it.
# - Judge a model on months it never saw: its score on its own training months proves nothing about new data.
#
# **On Google Cloud.** **Cloud Build** runs the CI/CD part (build, unit tests, deploy the pipeline).
# **Vertex AI Pipelines** (in today's documentation, *Agent Platform Pipelines*, part of Gemini Enterprise Agent
# Platform) runs the training pipeline that CT triggers, with data validation steps (TensorFlow
# Data Validation infers a schema and detects skew and drift, as pandera and our statistics do here) and a model
# evaluation step; **Vertex AI Model Evaluation** reports metrics per model version, including on data slices,
# and **Vertex AI Model Registry** holds the versions the gate promotes. In production, **Vertex AI Model
# Monitoring** watches serving data for skew and drift, the signal that starts the next retraining.
#
# **Read more.** Google Cloud's [*MLOps: Continuous delivery and automation pipelines in machine learning*](https://cloud.google.com/architecture/mlops-continuous-delivery-and-automation-pipelines-in-machine-learning):
# read "DevOps versus MLOps" and find the five areas of section 5, then the sentences that define CI, CD and CT;
# ask of each activity what starts it. Terms are in the [glossary](../GLOSSARY.md); the full reading list is in
# [READING.md](../READING.md).

# %%
print(scorecard("02_devops_vs_mlops", workspace=workspace, language=language))
