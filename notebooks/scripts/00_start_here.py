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
# # 00 · Start here: how MLOps Lab works
#
# MLOps is the discipline of deploying, testing, monitoring and automating machine-learning systems in
# production. This workbook teaches it the way Google Cloud's course *Machine Learning Operations (MLOps):
# Getting Started* lays it out, but every idea is a lab that runs on your laptop: offline, free and repeatable.
#
# **Learning objectives.** By the end of this notebook you can:
# 1. check that your environment is complete, and fix it if it is not;
# 2. describe the three kinds of activity in every notebook: labs, "Your turn" exercises and quizzes;
# 3. say why and when to employ MLOps, who does what in an ML team, and what makes ML engineering hard;
# 4. generate the workbook's churn dataset and split it by time;
# 5. find your way around the course map.
#
# Every term is defined where it first appears and again in the workbook's [glossary](../GLOSSARY.md); the
# course's [reading list](../READING.md) says what to look for in each reading.

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
from mlops_lab import data, exercise_checks
from mlops_lab.environment import check_environment, configure_kernel, open_workspace
from mlops_lab.exercises import ExerciseBook
from mlops_lab.i18n import translate
from mlops_lab.quiz import scorecard, show_quiz

configure_kernel()
workspace = open_workspace(workspace)
your_turn = ExerciseBook(
    "00_start_here", solutions=solutions, workspace=workspace, seed=seed, mode=mode, language=language
)

# %% [markdown]
# ## 1. Check your environment
#
# The workbook pins every library to an exact version (`requirements.lock`), because dependency drift is what
# breaks most course notebooks a year after they were written. The check below compares what is installed with
# the pins. If anything says MISSING or DIFFERENT VERSION, run `make install` in the workbook folder and restart
# the kernel.

# %%
check_environment(language=language)

# %% [markdown]
# ## 2. How each notebook works
#
# | part | what you do | what you get |
# |---|---|---|
# | **Lab** | run the cells in order; read the tables and plots | the MLOps idea made visible on real (synthetic) data |
# | **Your turn** | change the value in the cell marked *your turn*, run it and the next one | specific feedback, saved to your progress file |
# | **Quiz** | pick an answer, press *Check* | instant feedback on every option, saved to your progress file |
#
# Your answers live in `progress.json` in your workspace folder, so they survive a kernel restart;
# `mlops-lab progress` prints your score per notebook in a terminal.
#
# Everything is seeded: run a notebook twice and you get the same numbers. Change the `seed` in the first code cell
# to meet other customers; the text never quotes a number that only one seed produces.
#
# ## 3. The course map
#
# | notebook | course topic | what you build |
# |---|---|---|
# | `00_start_here` | how the workbook works | environment check, the dataset, your first quiz |
# | `01_pain_points` | ML practitioners' pain points | experiment tracking and a model registry with MLflow |
# | `02_devops_vs_mlops` | DevOps vs MLOps | a CI pipeline with data validation and a model validation gate |
# | `03_ml_lifecycle` | the ML lifecycle | an ML pipeline with caching and lineage, compiled for Vertex AI Pipelines |
# | `04_maturity_levels` | automating the ML process | levels 0, 1 and 2 simulated over a year of drifting data |
# | `05_vertex_ai` | MLOps on Vertex AI | feature store, Vizier-style tuning, registry, endpoint, monitoring |
#
# ## 4. Why MLOps, who does it, and why ML engineering is hard
#
# ### 4.1 Why and when to employ MLOps
#
# A model that works in a notebook is the start of the work, not the end. Once it drives decisions, it has to be
# rebuilt when the data changes, checked before each release, watched in production and explained when someone
# asks "which data made this model?". Done by hand, each of those steps is slow and easy to get wrong, so teams
# release rarely and find problems late. **MLOps** applies DevOps' habits (automate, test, monitor, release in
# small steps) to ML systems, with two goals the course names: **shorten the development lifecycle** (a new model
# reaches production in days, not months) and **keep quality high in production** (every model tested, monitored
# and reproducible).
#
# When? As soon as a model has to keep working: it feeds a decision that matters, the data it learns from changes
# over time, more than one person works on it, or it will be retrained more than once. A one-off analysis that is
# never deployed needs little of it. How much automation you need grows with how often the model must change:
# notebook 04 measures that with Google's maturity levels.
#
# ### 4.2 Who does what
#
# The course lists the people an ML system brings together. Their hand-offs are where the pain point
# "collaborating" (notebook 01) comes from:
#
# | role | what they do | where you play the part in this workbook |
# |---|---|---|
# | data scientist | explores data, tries features and models, evaluates them | 01: the level-0 week and the sweep |
# | data engineer | builds the pipelines that bring data to training and serving, and keeps it valid | 02: data validation; 05: the feature store |
# | ML engineer | turns the experiment into a tested pipeline, automates retraining and deployment | 03: the pipeline; 04: levels 1 and 2 |
# | application developer | calls the model from the product through its API | 05: the HTTP endpoint and its request schema |
# | site reliability engineer (SRE) | keeps serving reliable: latency, capacity, alerts, incidents | 05: traffic split, monitoring alerts |
# | business analyst | defines the measures that matter and reads the results | 01: the business cost that picks the best model |
# | business user | acts on the predictions (here, the retention team) and judges whether they help | 02: the slice a candidate serves badly |
#
# ### 4.3 What makes ML engineering hard
#
# *Hidden Technical Debt in Machine Learning Systems* (Sculley et al., 2015) made two observations the course
# repeats:
#
# - **ML code is a small part of an ML system.** Around the model sit configuration, data collection, feature
#   extraction, data verification, machine resources, serving infrastructure and monitoring, and they hold most
#   of the code and most of the failures.
# - **ML systems pile up hidden technical debt**: costs that do not show when you ship but grow later.
#   - *Entanglement*, or **CACE** ("changing anything changes everything"): change one feature's scale or one
#     setting, and the model uses all the other features differently. No change is local.
#   - **Data dependencies**: an upstream table changes its meaning or its format and the model quietly learns
#     from something else. Code dependencies are checked by compilers and tests; data dependencies often by
#     nobody (notebook 02 adds the checks).
#   - **Feedback loops**: the model's predictions change the data it will learn from next (customers who got a
#     retention offer stay, so the next model learns they were never at risk).
#   - **Pipeline jungles**: data preparation that grew by scrapes, joins and intermediate files until nobody can
#     follow it (notebook 03 replaces it with a declared pipeline).
#
# ML systems also differ from ordinary software in how they are built (experiments, not specifications), tested
# (data and models, not only code) and run (models decay as the world changes): notebook 02 takes those
# differences one by one.
#
# ### 4.4 The course's three questions, and where the workbook answers them
#
# | question | short answer | answered in |
# |---|---|---|
# | *¿Por qué es necesario MLOps?* Why is MLOps needed? | A model is a snapshot of its data: it decays silently while its code and tests stay green, most of the system around it is not ML code, and without shared records versions, experiments and people get lost. | this section; 01 (the pain points); 02 section 2 (a model decays while every test passes) |
# | *¿Para qué sirve MLOps?* What is MLOps for? | To ship models often and keep them good: track every run, validate data and models, retrain automatically, monitor production, and know what produced what. | 01 (tracking, registry); 02 (CI, CD and continuous training); 03 (pipelines and lineage); 04 (maturity levels) |
# | *¿Cómo se aplica en el ecosistema de Google Cloud?* How is it applied on Google Cloud? | With Vertex AI, now part of Gemini Enterprise Agent Platform: Workbench, Pipelines, Experiments, ML Metadata, Model Registry, Feature Store, Endpoints, Model Monitoring and Explainable AI on one platform. | the "On Google Cloud" table at the end of every notebook; all of 05, including today's product names |

# %% [markdown]
# ## 5. Lab: meet the data
#
# Every lab uses one business: a subscription service that snapshots its customers once a month and wants to
# predict who will cancel (`churned`). The data is generated from a seed, so no download is ever needed.
# Numeric features (tenure, charges, support calls, data usage) and categorical ones (contract, payment method,
# region) let later labs measure drift with the same metrics Vertex AI Model Monitoring uses.

# %%
n_months = 6 if mode == "smoke" else 12
customers = data.make_customers(n_months=n_months, seed=seed)
print(data.summary(customers, language=language))
customers.head()

# %% [markdown]
# The generator has knobs for what goes wrong in production. Here is the monthly churn rate of a calm year
# next to a year with drift: a shift in the customer mix from July, and a sudden change in what makes customers
# leave from October. Later notebooks detect and handle both.

# %%
import matplotlib.pyplot as plt

drifting = data.make_customers(n_months=n_months, seed=seed, covariate_drift=1.0, concept_drift=1.0)
calm_rate = customers.groupby("month")["churned"].mean()
drift_rate = drifting.groupby("month")["churned"].mean()
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(calm_rate.index, calm_rate.values, marker="o", label=translate("calm year", language=language))
ax.plot(drift_rate.index, drift_rate.values, marker="o", label=translate("year with drift", language=language))
ax.set(
    title=translate("Monthly churn rate", language=language),
    xlabel=translate("month", language=language),
    ylabel=translate("share of customers who churned", language=language),
)
ax.legend()
plt.show()

# %% [markdown]
# ## 6. Your turn
#
# **Exercise 1.** A model must be tested on months it has never seen. `data.split_by_month` trains on the first
# `train_months` months and tests on the rest. Choose `train_months` so that the model is tested on the **last
# quarter** (three months) of the year. Change the value, then run the cell.

# %%
train_months = 6  # your turn: change this value

# %%
train_months = your_turn.submit(
    "train-months",
    train_months,
    check=lambda value: exercise_checks.check_time_split(value, frame=customers, test_months=3, language=language),
)

# %% [markdown]
# **Exercise 2.** Month-to-month customers are free to leave at any time. Compute the share of them who
# churned, as a fraction between 0 and 1. The default below computes the churn rate of *all* customers:
# narrow it down to `contract == "month-to-month"`.

# %%
m2m_churn_rate = customers["churned"].mean()  # your turn: only month-to-month customers

# %%
m2m_churn_rate = your_turn.submit(
    "m2m-churn-rate",
    m2m_churn_rate,
    check=lambda value: exercise_checks.check_segment_churn_rate(value, frame=customers, language=language),
)

# %% [markdown]
# ## 7. Quiz
#
# Pick an answer and press **Check** for each question. One question asks you to work out a number from this
# notebook's lab: the outputs above have what you need. Your seed decides the order of the options, so a classmate
# may see them in another order; each option keeps its letter, so "b" means the same answer for both of you.

# %%
show_quiz(
    "00_start_here",
    answers=quiz_answers,
    facts={"test_rows": len(data.split_by_month(customers, train_months=n_months - 3)[1])},
    workspace=workspace,
    seed=seed,
    language=language,
)

# %% [markdown]
# ## 8. Summary
#
# - Everything you need runs locally and offline; `check_environment()` tells you what is missing.
# - Labs show an idea, "Your turn" cells let you try it, quizzes check it; all results go to your progress file.
# - The churn dataset is generated from a seed and can drift or break on demand.
# - MLOps shortens the path from idea to production and keeps models good once there. It brings data scientists,
#   data engineers, ML engineers, application developers, SREs, business analysts and business users together
#   around a system where the ML code is the smallest part, and where hidden debt (entanglement, data
#   dependencies, feedback loops, pipeline jungles) grows unless someone pays it down.
#
# **Read more.** [*Hidden Technical Debt in Machine Learning Systems*](https://papers.nips.cc/paper_files/paper/2015/hash/86df7dcfd896fcaf2674f757a2463eba-Abstract.html)
# (Sculley et al., NeurIPS 2015): look at the figure where the ML code is a small box among large ones, then find
# each debt of section 4.3 and the example the paper gives for it. The whole reading list is in
# [READING.md](../READING.md).
#
# **On Google Cloud.** The JupyterLab you are using is what **Vertex AI Workbench** provides as a managed service:
# a notebook environment next to the data and the rest of Vertex AI. The dataset would come from **BigQuery**,
# as in the course's lab on customer lifetime value.

# %%
print(scorecard("00_start_here", workspace=workspace, language=language))
