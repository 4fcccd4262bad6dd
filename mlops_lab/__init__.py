"""MLOps Lab: the helper package behind the workbook's notebooks.

One module per MLOps concept, in the order of the ML lifecycle, and the arrows go one way:
data -> training and evaluation -> tracking and the registry -> validation (data and model,
CI, continuous training) -> the pipeline steps, their metadata and the runner -> monitoring
-> serving -> the maturity simulation (its world, the levels, their plots). The learning
tools (exercise checks, quizzes, progress) sit above the concept modules, and the instructor
tools (batch runs, grading, the class report, the command line) on top; a concept module
imports neither. Beside them all, like the exceptions and the environment, the words a learner
reads, which every module that shows something looks up in the learner's language.

Where each concept lives (course concept, then its one module):

    churn data, its drift and its faults             data
    data settings (the generator's knobs)            data
    training, holdout metrics and outcome counts     training
    business cost of a model's decisions             training
    training curves and per-slice evaluation         evaluation
    feature store and point-in-time joins            features
    hyperparameter tuning                            tuning
    explainable AI                                   explainability
    experiment tracking                              tracking
    comparing runs and choosing the best one         run_comparison
    the model registry and its aliases               registry
    model files (skops) and model fingerprints       model_files
    check results shown as one table                 checks
    data validation (schema and statistics)          data_validation
    model validation (the promotion gate)            model_validation
    CI and continuous training                       ci
    the lifecycle steps and the pipeline definition  pipeline_steps
    the pipeline's metadata store and lineage        metadata
    the pipeline runner, its caching and diagram     pipeline
    Kubeflow pipeline components                     kfp_pipeline
    skew and drift monitoring                        monitoring
    online serving on an endpoint                    serving
    scoring a request's few rows without overhead    row_scoring
    the maturity world: its data, events and models  maturity
    MLOps maturity levels and their policies         maturity_levels
    the maturity levels compared: table and charts   maturity_plots
    offline settings, workspace, environment check   environment
    the package's exceptions                         errors
    the words a learner reads, in English and Spanish  i18n
    exercise feedback, a notebook's exercise book    exercises
    value exercises' checks, in the learner's words  exercise_checks
    rerunning an exercise's check for any seed       exercise_registry
    code exercises, run in the learner's kernel      code_exercises
    the hidden tests of the code exercises           hidden_tests
    quizzes                                          quiz
    the quiz's widgets, as a learner clicks them     quiz_widgets
    a roster's quiz answers, sorted per notebook     quiz_answers
    how guessable a quiz bank is                     quiz_stats
    a learner's progress and workspace               progress
    a batch's rows: roster and sweep files           roster
    batch runs of every notebook                     batch
    executing one notebook headless (papermill)      notebook_execution
    finding and reading a learner's submissions      submissions
    grading submissions                              grading
    grading code exercises                           code_grading
    rerunning learner code in a limited process      code_rerun
    the class report                                 report
    item analysis of quiz questions                  item_analysis
    the command line                                 cli

Importing the package is instant: every module imports its heavy libraries
inside the functions that need them.
"""

__version__ = "0.1.0"
