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
# # 01 · Puntos débiles: seguimiento de experimentos y un registro de modelos
#
# El curso enumera cinco puntos débiles de quienes trabajan con ML: llevar el control de las **versiones** (de modelos,
# código y datos), controlar el **espacio de experimentos**, identificar el **mejor modelo para el caso de uso**,
# **colaborar** y **reproducir** los resultados. En este cuaderno, primero los vives en una sesión típica de
# **nivel 0**: el nombre que da Google a la primera etapa de madurez de MLOps, en la que cada paso se hace a mano en
# cuadernos y secuencias de comandos, y nada queda registrado a menos que alguien lo anote (el cuaderno 04 lo compara
# con los niveles 1 y 2). Los resultados viven en variables y en nombres de archivo. Luego rehaces el mismo trabajo con
# el seguimiento de experimentos de MLflow y su registro de modelos, y cada pregunta dolorosa se convierte en una sola
# consulta.
#
# **Objetivos de aprendizaje.** Al final de este cuaderno, podrás:
# 1. nombrar lo que una sesión de cuaderno de hace un mes no puede decirte, y por qué;
# 2. registrar una ejecución con MLflow: parámetros, métricas, la huella de los datos, la versión del código y el modelo;
# 3. registrar un barrido completo y comparar sus ejecuciones en una tabla y un gráfico;
# 4. elegir el mejor modelo según un costo de negocio y mostrar que la elección cambia con el costo;
# 5. registrar un modelo, mover los alias `champion` y `challenger` y cargar un modelo por alias, de forma segura;
# 6. reconstruir un modelo a partir de lo registrado y ver qué falla cuando algo no se registró.

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
# ## 1. Una semana de nivel 0
#
# Así empieza en realidad mucho trabajo de ML: una persona, un cuaderno, unos días probando cosas. Lee las cuatro
# celdas siguientes como cuatro días de la semana de esa persona. Cada día cambia algo: el subconjunto de datos, una
# característica, el modelo, un hiperparámetro, el umbral de decisión. Los resultados van a variables; los modelos, a archivos
# cuyos nombres son las únicas notas.
#
# Cuatro términos que la semana (y el resto del taller) usa para evaluar un modelo de abandono (*churn*).
# El modelo da a cada cliente una probabilidad de abandono; el **umbral** la convierte en una decisión ("llamar a este
# cliente" por encima de 0.5, por ejemplo).
#
# - **ROC AUC**: la probabilidad de que el modelo clasifique a un cliente que abandona, elegido al azar, por encima de
#   un cliente que se queda, elegido al azar. 0.5 es adivinar; 1.0 es perfecto. Juzga el orden, antes de elegir
#   ningún umbral.
# - **Precisión**: de los clientes que el modelo marca, la proporción que realmente abandona (pocas ofertas de
#   retención desperdiciadas).
# - **Recuperación** (*recall*): de los clientes que realmente abandonan, la proporción que el modelo marca (pocos
#   abandonos pasados por alto).
# - **F1**: un solo número que equilibra la precisión y la recuperación (su media armónica); lo usa el cuaderno 02.
#
# Bajar el umbral marca a más clientes: la recuperación sube y la precisión suele bajar. Todos los términos también
# están en el [glosario](GLOSARIO.md).

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
# ## 2. Un mes después
#
# El modelo de `churn_model_final_v2_USE_THIS.skops` está en producción. Ahora el equipo pregunta:
#
# | pregunta | punto débil | lo que dejó la semana de nivel 0 |
# |---|---|---|
# | ¿Qué datos y qué código produjeron el modelo que pusimos en producción? | versiones | un nombre de archivo; `train` se sobrescribió y el código se editó desde entonces |
# | ¿Qué hiperparámetros y qué umbral usó el modelo del miércoles, y qué puntuación obtuvo? | espacio de experimentos | el miércoles, `auc` se sobrescribió con la puntuación de otro modelo |
# | ¿Qué modelo es el mejor cuando un abandono no detectado cuesta 100 y una falsa alarma 10? | mejor modelo para el caso de uso | nadie guardó los números necesarios para calcular un costo |
# | ¿Qué probó un colega la semana pasada, y con qué datos? | colaboración | sus archivos, en su laptop |
# | ¿Podemos reconstruir el modelo en producción y obtener las mismas métricas? | reproducibilidad | solo si alguien recuerda cada paso |
#
# Lo único que sobrevive es una carpeta de archivos. Los archivos de modelo conocen sus propios hiperparámetros, pero
# nada de los datos, el umbral, las puntuaciones ni de quién los hizo:

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
# ## 3. El mismo trabajo, con seguimiento
#
# El **seguimiento de experimentos** guarda cada ejecución de entrenamiento en un almacén: sus parámetros, sus
# métricas, sus artefactos (el modelo) y etiquetas, como quién la ejecutó. Aquí el almacén es el de MLflow, en un
# archivo SQLite dentro de tu espacio de trabajo (`mlflow.db`), creado en el primer uso. Si configuras la variable de
# entorno `MLFLOW_TRACKING_URI` con la dirección de un servidor MLflow compartido, el mismo código registra allí, de modo
# que toda una clase o un equipo ve un solo almacén.
#
# `tracking.open_store` apunta MLflow al almacén y selecciona un **experimento**: un grupo de ejecuciones con nombre
# sobre un mismo problema.

# %%
import mlflow

store = tracking.open_store(workspace, experiment="01_pain_points")
print(store.summary(language=language))

# %% [markdown]
# ### 3.1 Una ejecución, a mano
#
# Así se registra una ejecución con MLflow sin ayudas. La ejecución guarda la *receta* del modelo (cada valor necesario
# para reconstruirlo), sus métricas, dos etiquetas que responden "¿qué versión?" (una huella de los datos de
# entrenamiento y un hash del código de entrenamiento) y el propio modelo, almacenado en el formato seguro **skops** en
# lugar de pickle. `tracking.outcome_metrics` añade a las métricas habituales el recuento de abandonos no detectados y
# de falsas alarmas, para que cualquier costo de negocio pueda calcularse más adelante solo a partir del almacén.

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
# `tracking.train_and_log(recipe, name=..., user=...)` hace exactamente estas llamadas para cualquier receta, y
# `tracking.log_sweep(recipe, trials)` la llama una vez por prueba, para que el barrido siguiente sea breve. Son
# atajos, no magia: abre `mlops_lab/tracking.py` y encontrarás las mismas `mlflow.start_run`, `log_params`,
# `log_metrics`, `set_tags` y `log_model`.
#
# ### 3.2 El espacio de experimentos: un barrido en el que se registra cada prueba
#
# Las ideas de la semana se convierten en una lista de pruebas: tipos de modelo, hiperparámetros, umbrales y un
# subconjunto de datos (`train_from_month=3`: solo los meses recientes). Cada prueba es una ejecución; nada se
# sobrescribe. Dos costumbres de los barridos reales lo mantienen rápido: las pruebas que solo difieren en el umbral
# comparten un modelo entrenado (el umbral convierte las probabilidades en decisiones después del entrenamiento), y las
# ejecuciones registran parámetros, métricas y etiquetas, pero no archivos de modelo. Solo se registra el modelo que
# elige el equipo, en la sección 4; hasta entonces, los modelos entrenados se quedan en memoria.

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
# Una sola tabla responde ahora a las preguntas sobre versiones: cada ejecución lleva la huella de sus datos (la prueba
# de los meses recientes se entrenó con otros datos, y se nota) y su versión del código (la misma para todas las
# ejecuciones aquí, ya que el código de entrenamiento no cambió durante el barrido). El gráfico muestra el equilibrio
# que exploró el barrido: bajar el umbral detecta más abandonos a costa de más falsas alarmas (los ejes llevan el
# nombre de las columnas de la tabla: `false_alarms`, las falsas alarmas, y `missed_churners`, los abandonos no
# detectados).

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
# La tabla se basa en la propia API de consulta de MLflow. `mlflow.search_runs` acepta un filtro en un pequeño
# lenguaje parecido a SQL sobre `params.`, `metrics.`, `tags.` y `attributes.`, que responde preguntas directamente:

# %%
found = mlflow.search_runs(filter_string="params.kind = 'random_forest' and metrics.recall > 0.7")
found[["tags.mlflow.runName", "params.max_depth", "params.threshold", "metrics.recall"]]

# %% [markdown]
# ### 3.3 El mejor modelo depende del caso de uso
#
# El ROC AUC más alto es una respuesta. Pero el equipo de retención actúa según las *decisiones* del modelo: un
# abandono no detectado pierde los ingresos de un cliente; una falsa alarma gasta una oferta de retención en alguien que
# se habría quedado. El costo por cliente de cada ejecución se deduce de sus recuentos registrados, para cualquier
# precio. Observa cómo cambia el ganador:

# %%
print(tracking.best_run(runs, metric="roc_auc", language=language))
for missed, alarm in [(100, 10), (40, 10), (20, 20), (10, 30)]:
    print(tracking.best_by_cost(runs, missed_churner_cost=missed, false_alarm_cost=alarm, language=language))

# %% [markdown]
# Ningún modelo es el mejor en general. Registra lo suficiente (aquí, los recuentos en los que se basa el costo) y
# podrás responder "¿el mejor para quién?" cada vez que el negocio cambie sus precios, sin volver a entrenar nada.
#
# ### 3.4 Colaboración: una segunda persona en el mismo almacén
#
# La colaboración es el punto débil de un equipo: científicos de datos, ingenieros de datos, ingenieros de ML y el
# negocio necesitan el mismo registro (el cuaderno 00, sección 4.2, enumera quién hace qué). Bo, un colega, prueba dos
# ideas propias. En un servidor compartido (`MLFLOW_TRACKING_URI`), las ejecuciones de Bo llegarían desde su laptop;
# aquí las registramos en su nombre. Bo olvida una cosa: la semilla del bosque aleatorio no queda registrada
# (`omit=("seed",)`).

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
# ## 4. El registro de modelos: nombres, versiones y alias
#
# Un **registro de modelos** da a los modelos un nombre y versiones numeradas, cada una vinculada a la ejecución que la
# produjo. En lugar de un archivo llamado `..._final_v2_USE_THIS`, un **alias** como `champion` apunta a la versión en
# producción, y `challenger`, a la que se evalúa frente a ella. Promover o revertir es mover un alias, no copiar
# archivos. Estas son las llamadas reales de MLflow: el modelo que eligió el equipo se guarda en su propia ejecución
# (`start_run(run_id=...)` vuelve a abrir una ejecución terminada) y luego se registra con un nombre y un alias.

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
# Bo guardó el modelo de `bo-1` en su ejecución al entrenarlo (`log_model=True` más arriba), así que la función auxiliar
# lo registra con una sola línea. El boosting de gradiente de Bo se convierte en el aspirante (*challenger*); la tabla muestra de qué
# ejecución salió cada versión.

# %%
registry.register_model("bo-1", name="churn-model", alias="challenger", store=store)
registry.registry_table("churn-model", language=language)

# %% [markdown]
# El código de servicio pide `churn-model@champion`, nunca un nombre de archivo. `registry.load_model` descarga la
# versión a la que apunta el alias y la carga con `model_files.load_model`, que compara cada tipo del archivo skops
# con la lista de tipos permitidos del propio paquete (`model_files.TRUSTED_TYPES`). El modelo cargado obtiene
# exactamente la puntuación que registró su ejecución:

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
# ¿Por qué skops y no pickle? Cargar un archivo pickle ejecuta cualquier código que el archivo pida. Un archivo skops
# solo describe objetos, y al cargarlo se rechazan los tipos que nadie revisó. Este es un archivo que nombra
# `os.system` (no se ejecuta nada: skops solo escribe una referencia a la función):

# %%
import os

from sklearn.preprocessing import FunctionTransformer

model_files.save_model(FunctionTransformer(func=os.system), workspace / "suspicious.skops")
try:
    model_files.load_model(workspace / "suspicious.skops")
except model_files.UntrustedModelError as error:
    print(model_files.refusal_message(error, language=language).replace(str(workspace), "<workspace>"))

# %% [markdown]
# El propio `mlflow.sklearn.load_model("models:/churn-model@champion")` de MLflow también funciona, pero confía en la
# lista de tipos guardada *dentro* de la carpeta del modelo, que controla quien haya escrito esa carpeta; la lista de
# tipos permitidos en el código es la costumbre más segura.
#
# ## 5. Reproducibilidad
#
# Reconstruye el modelo campeón solo a partir de sus parámetros registrados: regenera los datos, comprueba su huella,
# vuelve a entrenar y vuelve a evaluar.

# %%
reproduction = tracking.reproduce_run(team_choice.run, store=store, language=language)
reproduction

# %% [markdown]
# Ahora, el bosque aleatorio de Bo, cuya semilla no se registró. Los datos son correctos, pero con la semilla
# predeterminada el bosque crece de otra manera, y las métricas ya no coinciden. Basta con un parámetro que falte:

# %%
tracking.reproduce_run("bo-2", store=store, language=language)

# %% [markdown]
# ## 6. Las preguntas de nuevo, una consulta cada una
#
# Las respuestas siguen el orden de las preguntas de la tabla de la sección 2.

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
# Para explorar el mismo almacén en la interfaz web de MLflow, ejecuta `make mlflow-ui` en una terminal, en la carpeta
# del taller, y abre la dirección que imprime (solo escucha en 127.0.0.1).
#
# ## 7. Tu turno
#
# **Ejercicio 1.** ¿Qué umbral de decisión usó `trial-7`? Búscalo en la tabla `runs` (o con `mlflow.search_runs`) y
# asigna el valor.

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
# **Ejercicio 2.** Escribe una cadena de filtro de MLflow que encuentre exactamente las ejecuciones de Bo. Pista:
# quién hizo una ejecución se guarda en la etiqueta `mlflow.user`; un nombre de etiqueta con un punto va entre
# acentos graves, como en ``tags.`mlflow.user` ``.

# %%
bo_filter = "params.kind = 'gradient_boosting'"  # your turn: a filter that finds only Bo's runs

# %%
bo_filter = your_turn.submit(
    "bo-filter",
    bo_filter,
    check=lambda value: exercise_checks.check_filter(value, expected=["bo-1", "bo-2"], store=store, language=language),
)

# %% [markdown]
# **Ejercicio 3.** El equipo de marketing revisa sus precios: un abandono no detectado cuesta 50 y una falsa alarma,
# 25. ¿Qué ejecución debería ser ahora la campeona? Usa `tracking.business_costs(runs, ...)` o
# `tracking.best_by_cost(...)` e indica el nombre de la ejecución.

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
# **Ejercicio 4: escribe una regla de selección de ejecuciones.** Esta vez escribes código, y unas pruebas ocultas lo
# comprueban. El equipo de retención solo acepta un modelo que detecte al menos el 70% de los abandonos: una
# recuperación de al menos 0.7. Completa `pick_run(runs, *, metric, min_recall)`. Devuelve el nombre de una ejecución
# (el índice de la tabla `runs`): la ejecución con el `metric` más alto entre las ejecuciones cuya recuperación es al
# menos `min_recall` (una ejecución justo en el mínimo cuenta) y cuyo `metric` se registró (un valor que no se registró
# aparece como NaN). Cuando ninguna ejecución cumple, devuelve `None`. El punto de partida de abajo ignora el mínimo de
# recuperación.
#
# La celda siguiente ejecuta, sobre tablas pequeñas de ejecuciones, pruebas que no ves, casos límite incluidos, y
# nombra cada situación en la que tu función se equivoca. Tu código se guarda con tu progreso.


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
# ## 8. Cuestionario
#
# Una pregunta te pide calcular un costo a partir de los recuentos registrados en tus propias ejecuciones, como en la
# sección 3.3.

# %%
facts = {
    "champion_cost_alarm_20": tracking.business_costs(runs, missed_churner_cost=100, false_alarm_cost=20)[
        team_choice.run
    ],
}
show_quiz("01_pain_points", answers=quiz_answers, facts=facts, workspace=workspace, seed=seed, language=language)

# %% [markdown]
# ## 9. Resumen, y los mismos pasos en Google Cloud
#
# - Una sesión de nivel 0 pierde versiones, pruebas, costos, autores y recetas; un almacén de seguimiento los conserva.
# - Cada ejecución registra parámetros, métricas, la huella de los datos y la versión del código; un barrido es una
#   tabla.
# - "El mejor" es una pregunta de negocio: registra lo que necesita un costo y la respuesta sale del almacén.
# - Un registro de modelos nombra versiones y mueve alias; los modelos se cargan por alias, desde archivos skops,
#   contra una lista de tipos permitidos.
# - Una ejecución solo es reproducible si se registró todo lo que dio forma al modelo, incluida la semilla.
#
# | paso aquí | herramienta local | en Vertex AI |
# |---|---|---|
# | `open_store`, un experimento | almacén de seguimiento de MLflow (SQLite o un servidor compartido) | **Vertex AI Experiments**: `aiplatform.init(experiment=...)` |
# | una ejecución con parámetros, métricas y etiquetas | `mlflow.start_run`, `log_params`, `log_metrics` | **Vertex AI Experiments**: `aiplatform.start_run`, `log_params`, `log_metrics` (su registro automático se basa en MLflow) |
# | comparar ejecuciones en una tabla | `mlflow.search_runs`, `compare_runs` | **Vertex AI Experiments**: `aiplatform.get_experiment_df()` y la comparación de ejecuciones de la consola |
# | huella de los datos, versión del código y artefacto del modelo de una ejecución | etiquetas y artefactos de la ejecución | **Vertex ML Metadata**: artefactos, ejecuciones, eventos y contextos forman el grafo de linaje |
# | registrar una versión del modelo | `mlflow.register_model` | **Vertex AI Model Registry**: un modelo con versiones numeradas |
# | alias `champion` / `challenger` | `set_registered_model_alias` | alias de versión de **Vertex AI Model Registry** (la primera versión recibe `default`; una versión nueva también lo toma, salvo que se suba con `is_default_version=False`) |
# | cargar por alias | `models:/churn-model@champion` | desplegar la versión con alias en un endpoint |
#
# Vertex AI se está integrando en **Gemini Enterprise Agent Platform**, y sus servicios están cambiando de nombre
# (Vertex AI Experiments, por ejemplo, aparece como Agent Platform Experiments); el cuaderno 05 tiene la tabla de
# nombres antiguos y nuevos.
#
# **Lecturas recomendadas.** La [*Practitioners guide to MLOps*](https://services.google.com/fh/files/misc/practitioners_guide_to_mlops_whitepaper.pdf)
# de Google (2021, en inglés): lee "Data and model management" y "ML development", y anota lo que, según la guía, deben
# registrar un sistema de seguimiento de experimentos y un registro de modelos; compáralo con las columnas de tu tabla
# `runs`. La lista de lecturas completa está en [LECTURAS.md](LECTURAS.md).
#
# A continuación, el cuaderno 02 convierte estas costumbres en una comprobación automática: una canalización de CI que
# valida los datos y rechaza un modelo que no supera al campeón.

# %%
print(scorecard("01_pain_points", workspace=workspace, language=language))
