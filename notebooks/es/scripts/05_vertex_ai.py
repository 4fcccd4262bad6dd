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
# # 05 · Vertex AI: MLOps en una sola plataforma, reconstruida en tu laptop
#
# Vertex AI es la plataforma de aprendizaje automático de Google Cloud. Su promesa no es una herramienta ingeniosa, sino
# **un solo lugar** para todo el ciclo de vida: datos y características, entrenamiento y ajuste, experimentos, un registro de
# modelos, servicio en línea y por lotes, supervisión y explicaciones, todo compartiendo los mismos metadatos. En este
# cuaderno ejecutas de principio a fin cada una de esas capacidades con los datos de abandono del taller,
# usando la herramienta de código abierto que hace el mismo trabajo en local. Debajo de cada paso, un recuadro muestra
# la llamada al SDK de Vertex AI que lo haría en la nube (se muestra, nunca se ejecuta: no necesitas una cuenta).
#
# Vertex AI se está integrando en **Gemini Enterprise Agent Platform**, y la documentación ahora usa nombres nuevos para
# sus servicios; la sección 1 tiene la tabla, para que encuentres cada página con cualquiera de los dos nombres.
#
# **Objetivos de aprendizaje.** Al final de este cuaderno, podrás:
# 1. explicar por qué una plataforma unificada reduce la deuda técnica oculta de los sistemas de ML;
# 2. crear un conjunto de entrenamiento con características correctas a un momento dado (*point-in-time*) y mostrar la fuga de
#    datos que causa una unión ingenua;
# 3. ejecutar un estudio de hiperparámetros con semilla (el trabajo de Vizier) y hacer un seguimiento de cada prueba en
#    MLflow (el trabajo de Experiments);
# 4. versionar modelos en un registro con alias y promover un aspirante después de un lanzamiento canario;
# 5. servir un modelo por HTTP con validación de entradas, una división del tráfico y registro de solicitudes;
# 6. supervisar las solicitudes registradas en busca de sesgo entre el entrenamiento y la entrega, y de deriva (y
#    decir qué cambia Model Monitoring v2);
# 7. explicar las predicciones del modelo y asociar los tres métodos de Explainable AI con los modelos a los que se
#    adaptan;
# 8. encontrar el nombre actual de cada servicio y la importación de Python que debes usar con él.

# %% tags=["parameters"]
# Settings you may change. Another seed gives other customers and another order of quiz options; the lessons hold
# for any seed.
seed = 42  # every random number in the notebook comes from this seed
workspace = None  # folder for your progress, runs and models (None: $MLOPS_LAB_WORKSPACE or ./workspace)
quiz_answers = {}  # leave empty: you answer with the Check buttons
solutions = {}  # leave empty: your answers go in the "Your turn" cells
language = "es"  # "en" or "es": the language of the quiz, the feedback and the scorecard
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
# ## 1. ¿Por qué una sola plataforma?
#
# *Hidden Technical Debt in Machine Learning Systems* (Sculley et al., 2015; cuaderno 00, sección 4.3) observó que el
# modelo es una caja pequeña dentro de un sistema grande, y que la mayor parte del costo se esconde a su alrededor:
# **código de unión** (*glue code*) entre herramientas que esperan cada una sus propios formatos, **selvas de
# canalizaciones** (*pipeline jungles*) de extracciones y uniones, **deuda de configuración**, **consumidores no
# declarados** de los resultados de un modelo y el principio CACE: *cambiar cualquier cosa lo cambia todo* (*changing
# anything changes everything*). Cada herramienta que añades suma código de unión. Una plataforma en la que el almacén
# de características, el entrenamiento, el registro, los endpoints y la supervisión comparten un solo almacén de metadatos
# reemplaza ese código de unión por convenciones: el endpoint sabe qué versión del registro sirve, y el monitor sabe qué
# datos de entrenamiento vio esa versión.
#
# | Vertex AI | su trabajo | aquí, en tu laptop |
# |---|---|---|
# | Workbench | JupyterLab administrado junto a los datos | este JupyterLab |
# | Feature Store | características a lo largo del tiempo; recuperación a un momento dado | `features.point_in_time_join` (pandas) |
# | Vizier | estudios de hiperparámetros (bayesianos de forma predeterminada) | `tuning.run_study` (TPE de optuna, con semilla) |
# | Experiments, TensorBoard | ejecuciones, parámetros, métricas, curvas de entrenamiento | seguimiento de MLflow, matplotlib |
# | Model Registry | versiones y alias (`default` en la primera versión) | alias del registro de MLflow |
# | Model Evaluation | métricas por versión del modelo y por segmento | métricas de scikit-learn |
# | Endpoints, predicción por lotes | servicio en línea con división del tráfico; trabajos por lotes | `serving.Endpoint` (HTTP en 127.0.0.1), `serving.batch_predict` |
# | Model Monitoring | sesgo y deriva en las solicitudes registradas, alertas | `monitoring` (Jensen-Shannon, L-infinito) |
# | Explainable AI | atribuciones de características: Shapley muestreado, gradientes integrados, XRAI | importancia por permutación |
#
# ### Los nombres actuales en Google Cloud (verificados en diciembre de 2026)
#
# La documentación de Google dice ahora que Vertex AI se está integrando en **Gemini Enterprise Agent Platform**, y su
# página [*Vertex AI name changes*](https://docs.cloud.google.com/gemini-enterprise-agent-platform/vertex-ai-name-changes?hl=es)
# asocia los nombres antiguos con los nuevos. El curso, y muchos tutoriales, usan los nombres antiguos. Los nombres
# marcados con un asterisco se leyeron en las páginas actuales de la documentación; los demás siguen el mismo patrón en
# las rutas de las páginas de la documentación, así que compruébalos en la página de cambios de nombre antes de confiar
# en ellos.
#
# | nombre en el curso | nombre en la documentación actual | lo que construye este taller para él |
# |---|---|---|
# | Vertex AI (la plataforma) | Gemini Enterprise Agent Platform * | todo el taller, sin conexión |
# | SDK de Vertex AI para Python | Agent Platform SDK for Python *, todavía el paquete `google-cloud-aiplatform` | los recuadros debajo de cada paso |
# | Vertex AI Workbench | Agent Platform Workbench * | este JupyterLab |
# | Vertex AI Pipelines | Agent Platform Pipelines * | cuaderno 03: la canalización, ejecutada con Kubeflow Pipelines y compilada a YAML |
# | Vertex ML Metadata | Gemini Enterprise Agent Platform ML Metadata * | cuaderno 03: el almacén de metadatos SQLite |
# | Vertex AI Experiments | Agent Platform Experiments * | seguimiento de MLflow (cuadernos 01, 04 y 05) |
# | Vertex AI Vizier | Agent Platform Vizier * | `tuning.run_study` (optuna) |
# | Vertex AI Feature Store | Agent Platform Feature Store * | `features.point_in_time_join` |
# | Vertex AI Model Registry | Model Registry, en la documentación de Agent Platform | el registro de MLflow y sus alias |
# | Vertex AI Endpoints, predicción por lotes | en Agent Platform, mismo patrón | `serving.Endpoint`, `serving.batch_predict` |
# | Vertex AI Model Monitoring | en Agent Platform, mismo patrón | `monitoring` (Jensen-Shannon, L-infinito) |
# | Vertex Explainable AI | en Agent Platform, mismo patrón | `explainability.feature_attributions` |
#
# **¿Qué importación?** Instalas un solo paquete, `google-cloud-aiplatform`, sea cual sea el nombre. Incluye el módulo
# `google.cloud.aiplatform` (las clases de MLOps que usan los recuadros de abajo: `Model`, `Endpoint`, `PipelineJob`,
# `ModelDeploymentMonitoringJob`, que la documentación actual sigue importando así), el módulo `vertexai`
# (`vertexai.init` y los módulos preliminares de Feature Store y Model Monitoring v2) y un módulo más reciente,
# `agentplatform`, que las propias herramientas de Google recomiendan ahora para el código nuevo. Los recuadros usan los
# dos primeros; si tu versión del paquete movió una clase, búscala por su nombre de clase en la referencia del SDK, que
# se publica con ambos nombres.
#
# **Workbench.** Ya estás usando su equivalente local: Vertex AI Workbench es un JupyterLab administrado cuyos cuadernos
# se ejecutan junto a BigQuery y el resto de Vertex AI. Todo lo que sigue empieza con una llamada:
#
# ```python
# from google.cloud import aiplatform   # pip install google-cloud-aiplatform; no cambia con el nuevo nombre
# aiplatform.init(project="my-project", location="europe-west4", experiment="churn", staging_bucket="gs://my-bucket")
# ```
#
# Los datos: un año de instantáneas mensuales de clientes. A partir de agosto, la composición de los clientes se desplaza
# un poco más cada mes (precios más altos, más contratos mes a mes, más llamadas a soporte), algo que la supervisión
# tendrá que notar. Los modelos se entrenan con enero a mayo, se validan con junio y sirven predicciones desde julio.

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
# ## 2. Feature Store: ¿qué sabíamos, y cuándo?
#
# Un almacén de características guarda cada valor que ha tomado una característica, cada uno con la marca de tiempo del momento en que
# se conoció. Las características de nuestros clientes se registran tres veces alrededor de cada instantánea mensual: un mes
# antes, en la instantánea (cuando se hace la predicción de abandono) y 20 días después. Para entonces, los clientes que
# se van ya llamaron a soporte para cancelar y dejaron de usar el servicio. Esa información tardía es real, pero el
# modelo nunca puede tenerla cuando hace la predicción.

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
# Una **unión a un momento dado** (*point-in-time join*) da a cada fila de etiquetas los valores de características más
# recientes registrados *en el momento de su predicción o antes*. La alternativa ingenua, unir los valores más recientes
# de cada cliente, usa el futuro sin que se note. Entrena el mismo modelo con ambas y compara lo que promete la
# evaluación sin conexión con lo que ofrece el servicio:

# %%
features.leakage_report(
    labels, feature_rows, train_ids=train["customer_id"], test_ids=valid["customer_id"], seed=seed, language=language
)

# %% [markdown]
# La unión ingenua promete un modelo casi perfecto y ofrece uno pobre: la evaluación sin conexión y el servicio en línea
# no coinciden porque el entrenamiento vio información que la producción nunca tiene. A partir de aquí, las filas de
# entrenamiento salen de la unión a un momento dado (en este conjunto de datos, coinciden con las instantáneas
# mensuales).
#
# ```python
# # Vertex AI Feature Store: servicio sin conexión desde BigQuery con una búsqueda a un momento dado
# from vertexai.resources.preview.feature_store import offline_store
# training_df = offline_store.fetch_historical_feature_values(
#     entity_df=labels_df,                                  # customer_id + marca de tiempo (+ etiqueta) por fila
#     features=[customer_group.get_feature("support_calls"), customer_group.get_feature("data_usage_gb")],
# )
# ```

# %% [markdown]
# ## 3. Vizier: un estudio de hiperparámetros, con seguimiento de cada prueba
#
# Vertex AI Vizier ejecuta **estudios**: propone **pruebas** (*trials*: conjuntos de valores de hiperparámetros) a
# partir de un espacio de búsqueda, lee la métrica que informa cada prueba y usa la optimización bayesiana para proponer
# otras mejores. El muestreador **TPE** de optuna (*Tree-structured Parzen Estimator*) hace lo mismo en local: después de
# unas pocas pruebas, modela qué valores dieron buenas puntuaciones y cuáles malas, y propone valores más parecidos a los
# buenos. Con semilla, propone las mismas pruebas en cada ejecución. Cada prueba también se registra como una ejecución
# de MLflow etiquetada con el estudio, que es lo que mostraría Vertex AI Experiments.

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
#     metric_spec={"roc_auc": "maximize"},            # train.py la informa con el paquete cloudml-hypertune
#     parameter_spec={"max_depth": hpt.IntegerParameterSpec(min=2, max=14, scale="linear"),
#                     "min_samples_leaf": hpt.IntegerParameterSpec(min=1, max=64, scale="log")},
#     max_trial_count=8, parallel_trial_count=2,      # el algoritmo de búsqueda predeterminado es la optimización bayesiana
# )
# job.run()
# ```
#
# ## 4. Experiments: ejecuciones y curvas de entrenamiento
#
# Cada prueba de arriba ya es una ejecución de MLflow, con sus parámetros, su métrica y las huellas de sus datos, así que
# las preguntas que abarcan varias ejecuciones están a una consulta de distancia, como en Vertex AI Experiments:

# %%
trial_runs = tracking.compare_runs(
    store=store, metrics=["roc_auc"], params=["max_depth", "min_samples_leaf"], filter_string="tags.study = 'rf-study'"
)
print(
    translate("MLflow holds {n} runs of the study.", language=language, n=len(trial_runs)),
    tracking.best_run(trial_runs, metric="roc_auc", language=language),
)

# %% [markdown]
# Una sola métrica final oculta cómo llegó un modelo hasta ella. El boosting de gradiente añade árboles de uno en uno,
# así que podemos reproducirlo etapa por etapa: la pérdida de entrenamiento sigue bajando, mientras que la pérdida de
# validación vuelve a subir en cuanto los árboles adicionales solo se ajustan al ruido. La curva se registra en MLflow
# como un historial de métricas (un valor por paso), el equivalente de las métricas de series temporales de Vertex AI
# Experiments que se muestran en TensorBoard.

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
# aiplatform.get_experiment_df()                      # cada ejecución del experimento, como tabla
# ```
#
# ## 5. Model Registry: versiones y alias
#
# La primera versión pasó a producción con la configuración predeterminada del bosque aleatorio. La mejor configuración
# del estudio da lugar a la versión 2, la **aspirante** (*challenger*). En Vertex AI, la primera versión de un modelo
# recibe automáticamente el alias `default` (lo que usa un despliegue cuando no se nombra ninguna versión). Una
# versión posterior subida con `Model.upload(parent_model=...)` también toma `default`, a menos que pases
# `is_default_version=False`: por eso el recuadro de abajo pasa `False` para la aspirante, que no debe servir
# predicciones antes de validarse. MLflow no tiene esa regla, así que configuramos `default` nosotros mismos, junto con
# `champion`.

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
# La versión 2 es el mismo modelo con la mejor configuración del estudio. Entra en el registro como `challenger`:

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
#                              serving_container_image_uri=SKLEARN_SERVING_IMAGE)      # recibe el alias "default"
# v2 = aiplatform.Model.upload(parent_model=v1.resource_name, artifact_uri="gs://my-bucket/churn/v2",
#                              serving_container_image_uri=SKLEARN_SERVING_IMAGE,
#                              is_default_version=False,  # sin esto, v2 le quitaría "default" a v1
#                              version_aliases=["challenger"])
# aiplatform.models.ModelRegistry(v1).add_version_aliases(["champion"], version="1")
# ```
#
# ## 6. Model Evaluation: ¿es mejor la aspirante, y para quién?
#
# Vertex AI guarda una evaluación con cada versión del modelo, opcionalmente por segmento de los datos. Compara ambas
# versiones con el mes de validación de junio, en general y por tipo de contrato: una aspirante que gana en promedio pero
# pierde por mucho en un segmento merece una segunda mirada.

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
# evaluation = v2.get_model_evaluation()              # la guarda una canalización de entrenamiento o v2.evaluate(...)
# evaluation.metrics["auRoc"]
# ```
#
# ## 7. Endpoints: predicción en línea por HTTP
#
# Un endpoint de Vertex AI es una dirección HTTPS que aloja uno o más modelos desplegados.
# `serving.Endpoint` es un servidor HTTP real (FastAPI sobre uvicorn) en un subproceso en segundo plano de este kernel,
# vinculado a 127.0.0.1 en un puerto que elige el sistema operativo. Carga aquello a lo que apuntan los alias del
# registro, valida cada solicitud con el esquema de entrada del modelo y registra cada instancia respondida. Por ahora,
# solo el campeón recibe tráfico.

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
# Un cliente que envía algo incorrecto (una columna con otro nombre, un tipo de contrato que el modelo nunca vio, texto
# donde va un número) recibe una respuesta `422` que nombra cada problema, y el modelo nunca ve la fila (los problemas se
# enumeran en inglés):

# %%
bad = dict(request[0], contract="three-year", tenure_months="two years")
bad["support_tickets"] = bad.pop("support_calls")
try:
    endpoint.predict([bad], request_id="bad-request")
except serving.PredictionRequestError as error:
    print(f"HTTP {error.status_code}")
    print("\n".join(error.problems))

# %% [markdown]
# ### Un lanzamiento canario
#
# En lugar de pasar a todos los clientes a la versión 2 de una vez, envíale el 10% del tráfico. La división se decide
# con un hash del ID de la solicitud, así que una solicitud dada (aquí, un cliente) siempre llega a la misma versión, lo
# que hace reproducible cualquier queja.

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
# El canario respondió su parte sin errores. La decisión también necesita la evaluación sin conexión de la sección 6: si
# la versión 2 es mejor en general, el alias `champion` pasa a la versión 2 y el endpoint le envía todo el tráfico; si no,
# se revierte el canario y la versión 1 conserva todo el tráfico. En cualquier caso son dos llamadas, y deshacerlas son
# las mismas dos llamadas a la inversa. A partir de aquí, el modelo en servicio es la versión que sea la
# campeona.

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
# v2.deploy(endpoint=endpoint, machine_type="n1-standard-2", traffic_percentage=10)   # el canario: v1 conserva el 90
# endpoint.predict(instances=[...])
# endpoint.update(traffic_split={v1_deployed_id: 0, v2_deployed_id: 100})            # promover
# ```
#
# ### Predicción por lotes
#
# Puntuar a todos los clientes una vez al mes no necesita un endpoint: un trabajo por lotes lee una tabla y escribe una
# tabla.

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
# ## 8. Model Monitoring: sesgo y deriva en el propio registro del endpoint
#
# Ahora vuelve a pasar los meses de producción por el endpoint, en solicitudes de 50 clientes cada una. En producción, las
# marcas de tiempo del registro lo dividirían en ventanas de supervisión; aquí un año pasa en segundos, así que cada ID
# de solicitud empieza con el mes al que pertenece.

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
# El **sesgo** (sesgo entre el entrenamiento y la entrega) compara cada ventana con los datos de entrenamiento; la
# **deriva** compara cada ventana con la anterior. (El sesgo de esquema y el sesgo de valores del cuaderno 02 son
# comprobaciones de la validación de datos sobre un lote antes de entrenar: la misma palabra para otra comprobación).
# Model Monitoring v1 usa la divergencia de Jensen-Shannon para las características numéricas y la distancia L-infinito para
# las categóricas, y da una alerta en 0.3 de forma predeterminada; la v2 te permite elegir la métrica y los umbrales por
# objetivo (cuaderno 04, sección 3). El desplazamiento es gradual, así que compara ambas vistas:

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
# De un mes a otro, nada se mueve lo suficiente como para dar una alerta: cada paso es pequeño. Frente a los datos de
# entrenamiento, los mismos cambios se acumulan hasta cruzar el umbral. Por eso Vertex AI ofrece ambas comprobaciones, y
# por eso la alerta es el comienzo de la siguiente iteración del ciclo de vida (volver a entrenar con datos recientes),
# no el final.
#
# ```python
# # Model Monitoring v1: un trabajo vinculado al endpoint, con las métricas de la v1
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
#     schedule_config=model_monitoring.ScheduleConfig(monitor_interval=24),          # horas
#     alert_config=model_monitoring.EmailAlertConfig(user_emails=["ml-team@example.com"]),
# )
# # Model Monitoring v2 (SDK preliminar): un monitor de modelo en una versión de modelo registrada; cada objetivo nombra su métrica
# from vertexai.resources.preview.ml_monitoring.spec import DataDriftSpec
# drift_spec = DataDriftSpec(categorical_metric_type="l_infinity", numeric_metric_type="jensen_shannon_divergence",
#                            default_categorical_alert_threshold=0.3, default_numeric_alert_threshold=0.3)
# ```
#
# El trabajo del endpoint terminó: detenlo. Detenerlo libera el puerto, y detenerlo dos veces no hace daño.

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
# ## 9. Explainable AI: ¿qué características impulsan las predicciones?
#
# Vertex AI Explainable AI atribuye cada predicción a las características de entrada. Ofrece tres métodos, cada uno para un
# tipo de modelo:
#
# | método | cómo atribuye | para |
# |---|---|---|
# | **Shapley muestreado** (*sampled Shapley*) | la contribución promedio de una característica sobre órdenes aleatorios en los que las características se "encienden"; las atribuciones suman la diferencia entre la predicción y una predicción de referencia | cualquier modelo, ya que solo lo llama: modelos tabulares, árboles y conjuntos como el bosque aleatorio de este cuaderno |
# | **gradientes integrados** (*integrated gradients*) | suma los gradientes del modelo a lo largo de un camino desde una entrada de referencia (todo ceros, por ejemplo) hasta la entrada real | modelos diferenciables, como las redes neuronales, con datos tabulares o imágenes |
# | **XRAI** | se basa en los gradientes integrados y agrupa las atribuciones en regiones de la imagen | modelos de imágenes (imágenes naturales) |
#
# Nuestro modelo es un bosque aleatorio con datos tabulares, así que en Vertex AI usaría Shapley muestreado. En local,
# la **importancia por permutación** hace una pregunta relacionada, global: ¿cuánto empeora el modelo cuando se mezcla
# una columna de entrada? Ambos métodos trabajan con las características de entrada sin procesar, así que las clasificaciones
# son comparables; Shapley explica una predicción a la vez, y la importancia por permutación, el modelo en su conjunto.

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
# # una red neuronal usaría {"integrated_gradients_attribution": {"step_count": 50}}; un modelo de imágenes, "xrai_attribution"
# v2 = aiplatform.Model.upload(..., explanation_parameters=parameters, explanation_metadata=metadata)
# endpoint.explain(instances=[...]).explanations[0].attributions
# ```
#
# ## 10. Tu turno
#
# **Ejercicio 1 (Feature Store).** Toma el cliente que abandona cuyo historial viste en la sección 2 (`churner`). ¿Cuál
# era su `support_calls` *en el momento en que se hizo su predicción de abandono*? El valor predeterminado de abajo lee
# el valor más reciente del cliente, que se filtra del futuro. Usa `features.point_in_time_join(one_customer, feature_rows)`
# en su lugar.

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
# **Ejercicio 2 (Endpoints).** El siguiente aspirante debería recibir un canario del 20%. Escribe la división del tráfico
# como un diccionario que va del ID del modelo desplegado (`champion`, `challenger`) a un porcentaje entero; como
# Vertex AI, la comprobación rechaza una división que no sume 100.

# %%
next_canary = {"champion": 90, "challenger": 10}  # your turn

# %%
next_canary = your_turn.submit(
    "canary-split", next_canary, check=lambda value: exercise_checks.check_canary_split(value, language=language)
)

# %% [markdown]
# **Ejercicio 3 (Explainable AI).** ¿En qué característica de entrada se apoya más el modelo en servicio? Léelo en
# las atribuciones de arriba.

# %%
top_feature = "region"  # your turn

# %%
top_feature = your_turn.submit(
    "top-feature",
    top_feature,
    check=lambda value: exercise_checks.check_top_feature(value, attributions=attributions, language=language),
)

# %% [markdown]
# **Ejercicio 4: escribe una regla de enrutamiento canario.** Esta vez escribes código, y unas pruebas ocultas lo
# comprueban. Tu endpoint dividía el tráfico por ID de solicitud. Un canario suele enrutar por **cliente**: un cliente que
# recibió una vez al aspirante debería seguir recibiéndolo, o su experiencia cambiaría de una solicitud a otra. Completa
# `route_request(request, canary_percent)`, donde `request` es un diccionario con un `request_id` y, por lo general, un
# `customer_id`. Devuelve `"challenger"` o `"champion"`, y:
#
# - el mismo cliente siempre recibe el mismo modelo;
# - aproximadamente el `canary_percent` % de los clientes recibe al aspirante (0: nadie; 100: todos los clientes);
# - ampliar el canario solo pasa clientes al aspirante, nunca los devuelve;
# - una solicitud sin ID de cliente (que falta, `None` o vacío) se queda con el campeón.
#
# El `hash()` integrado de Python aplicado a un texto cambia cada vez que Python se inicia, así que no puede mantener a un
# cliente en un mismo modelo; `hashlib` da el mismo resumen en todas partes. El punto de partida enruta por ID de
# solicitud. La celda siguiente ejecuta pruebas que no ves, casos límite incluidos, y nombra cada situación en la que tu
# función se equivoca. Tu código se guarda con tu progreso.

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
# ## 11. Cuestionario
#
# Elige una respuesta y presiona **Comprobar** en cada pregunta. Una pregunta trata sobre una cifra del lanzamiento canario
# de este cuaderno: vuelve a mirar la tabla de arriba.

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
# ## 12. Resumen
#
# - Una plataforma unificada reemplaza el código de unión entre herramientas por metadatos compartidos: cada paso de
#   abajo sabía lo que había producido el anterior.
# - **Feature Store**: las uniones a un momento dado mantienen el futuro fuera del entrenamiento; la unión ingenua
#   parecía excelente sin conexión y falló en el momento del servicio.
# - **Vizier** propuso pruebas, **Experiments** las registró junto con una curva de entrenamiento; **Model Registry**
#   versionó el resultado y movió los alias (`default`, `champion`, `challenger`).
# - **Model Evaluation** comparó las versiones en general y por segmento; un **endpoint** sirvió al campeón
#   por HTTP, rechazó cargas útiles incorrectas y ejecutó un canario 90/10, y una **predicción por lotes** puntuó una
#   tabla.
# - **Model Monitoring** leyó el registro del endpoint: la deriva de un mes a otro se mantuvo tranquila, mientras que
#   el sesgo frente a los datos de entrenamiento generó la alerta (métricas de la v1; la v2 las elige por objetivo).
#   **Explainable AI** mostró qué características usa el modelo; en Vertex AI, Shapley muestreado se adapta a este modelo, los
#   gradientes integrados a una red neuronal y XRAI a un modelo de imágenes.
# - La documentación actual llama a la plataforma Gemini Enterprise Agent Platform; la tabla de la sección 1 asocia los
#   nombres.
#
# | hiciste | con | en Vertex AI |
# |---|---|---|
# | conjunto de entrenamiento a un momento dado | `features.point_in_time_join` | servicio sin conexión de Feature Store |
# | estudio de hiperparámetros | optuna mediante `tuning.run_study` | Vizier / `HyperparameterTuningJob` |
# | ejecuciones y una curva de entrenamiento | MLflow | Experiments, TensorBoard |
# | versiones y alias | registro de MLflow | Model Registry |
# | métricas por versión y por segmento | scikit-learn | Model Evaluation |
# | endpoint HTTP, canario, lotes | FastAPI + uvicorn, `batch_predict` | Endpoints, predicción por lotes |
# | alertas de sesgo y deriva | `monitoring` (métricas al estilo de scipy) | Model Monitoring |
# | atribuciones de características | importancia por permutación | Explainable AI (Shapley muestreado; gradientes integrados y XRAI para otros modelos) |
#
# En el laboratorio del curso, *Training and Deploying a TensorFlow Model in Vertex AI*, el mismo recorrido se ejecuta en la
# nube: datos de BigQuery, un trabajo de entrenamiento, TensorBoard, un endpoint con explicaciones.
#
# **Lecturas recomendadas.** [*MLOps en Vertex AI*](https://cloud.google.com/vertex-ai/docs/start/introduction-mlops?hl=es),
# de Google Cloud: para cada necesidad que enumera (orquestar flujos de trabajo, hacer un seguimiento de los metadatos,
# identificar el mejor modelo, administrar las versiones de los modelos, administrar las características, supervisar la
# calidad de los modelos), nombra la sección de este cuaderno que lo hizo en local. Luego, echa un vistazo a la
# [página de cambios de nombre](https://docs.cloud.google.com/gemini-enterprise-agent-platform/vertex-ai-name-changes?hl=es)
# para los servicios que usaste. Los términos están en el [glosario](GLOSARIO.md); la lista de lecturas
# completa está en [LECTURAS.md](LECTURAS.md).

# %%
print(scorecard("05_vertex_ai", workspace=workspace, language=language))
