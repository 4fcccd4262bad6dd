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
# 3. generate the workbook's churn dataset and split it by time;
# 4. find your way around the course map.

# %% tags=["parameters"]
# Parameters: papermill (and instructors' batches) replace these values.
seed = 42  # every random number in the notebook comes from this seed
workspace = None  # folder for your progress, runs and models (None: $MLOPS_LAB_WORKSPACE or ./workspace)
quiz_answers = {}  # headless quiz answers, e.g. {"time-split": "b"}
solutions = {}  # reference solutions for "Your turn" exercises (CI injects them)
mode = "full"  # "full" or "smoke" (a quicker run with less data)

# %%
from mlops_lab import data, exercise_checks
from mlops_lab.environment import check_environment, configure_offline
from mlops_lab.exercises import ExerciseBook
from mlops_lab.progress import open_workspace
from mlops_lab.quiz import scorecard, show_quiz

configure_offline()
workspace = open_workspace(workspace)
your_turn = ExerciseBook("00_start_here", solutions=solutions, workspace=workspace, seed=seed, mode=mode)

# %% [markdown]
# ## 1. Check your environment
#
# The workbook pins every library to an exact version (`requirements.lock`), because dependency drift is what
# breaks most course notebooks a year after they were written. The check below compares what is installed with
# the pins. If anything says MISSING or DIFFERENT VERSION, run `make install` in the workbook folder and restart
# the kernel.

# %%
check_environment()

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
# Everything is seeded: run a notebook twice and you get the same numbers, which is also how our CI checks that
# every notebook still works.
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

# %% [markdown]
# ## 4. Lab: meet the data
#
# Every lab uses one business: a subscription service that snapshots its customers once a month and wants to
# predict who will cancel (`churned`). The data is generated from a seed, so no download is ever needed.
# Numeric features (tenure, charges, support calls, data usage) and categorical ones (contract, payment method,
# region) let later labs measure drift with the same metrics Vertex AI Model Monitoring uses.

# %%
n_months = 6 if mode == "smoke" else 12
customers = data.make_customers(n_months=n_months, seed=seed)
print(
    f"{customers.shape[0]} rows x {customers.shape[1]} columns, months {customers['month'].min():%Y-%m} to {customers['month'].max():%Y-%m}"
)
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
ax.plot(calm_rate.index, calm_rate.values, marker="o", label="calm year")
ax.plot(drift_rate.index, drift_rate.values, marker="o", label="year with drift")
ax.set(title="Monthly churn rate", xlabel="month", ylabel="share of customers who churned")
ax.legend()
plt.show()

# %% [markdown]
# ## 5. Your turn
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
    check=lambda value: exercise_checks.check_time_split(value, frame=customers, test_months=3),
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
    check=lambda value: exercise_checks.check_segment_churn_rate(value, frame=customers),
)

# %% [markdown]
# ## 6. Quiz
#
# Pick an answer and press **Check** for each question. One question asks about a number from this notebook's
# lab: look back at the output above.

# %%
show_quiz("00_start_here", answers=quiz_answers, facts={"n_rows": len(customers)}, workspace=workspace)

# %% [markdown]
# ## 7. Summary
#
# - Everything you need runs locally and offline; `check_environment()` tells you what is missing.
# - Labs show an idea, "Your turn" cells let you try it, quizzes check it; all results go to your progress file.
# - The churn dataset is generated from a seed and can drift or break on demand.
#
# **On Google Cloud.** The JupyterLab you are using is what **Vertex AI Workbench** provides as a managed service:
# a notebook environment next to the data and the rest of Vertex AI. The dataset would come from **BigQuery**,
# as in the course's lab on customer lifetime value.

# %%
print(scorecard("00_start_here", workspace=workspace))
