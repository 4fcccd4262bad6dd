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
# # 03 · El ciclo de vida del ML: ocho pasos, una canalización, linaje completo
#
# Un modelo en producción es el final de una cadena: alguien extrajo datos, los miró, los limpió y los dividió,
# entrenó, evaluó y validó un modelo, lo desplegó y lo vigiló. Hecha a mano, esa cadena es frágil: más tarde nadie
# puede decir qué datos o qué configuración produjeron el modelo que está respondiendo solicitudes. Hecha como
# **canalización**, cada paso es código, cada resultado es un artefacto registrado y las preguntas tienen respuesta.
#
# **Objetivos de aprendizaje.** Al final de este cuaderno, podrás:
# 1. nombrar en orden los ocho pasos del ciclo de vida del ML y decir qué produce cada uno;
# 2. situarlos en los siete procesos de la *Practitioners' guide to MLOps* de Google;
# 3. ejecutar los pasos como una canalización y predecir qué pasos vuelve a ejecutar un cambio (almacenamiento en
#    caché de pasos);
# 4. responder preguntas de linaje a partir de un almacén de metadatos: qué produjo el modelo desplegado y a qué
#    alimentó una instantánea de datos;
# 5. ejecutar la misma canalización con Kubeflow Pipelines y compilarla en el archivo que ejecuta Vertex AI Pipelines.

# %% tags=["parameters"]
# Settings you may change. Another seed gives other customers and another order of quiz options; the lessons hold
# for any seed.
seed = 42  # every random number in the notebook comes from this seed
workspace = None  # folder for your progress and pipeline runs (None: $MLOPS_LAB_WORKSPACE or ./workspace)
quiz_answers = {}  # leave empty: you answer with the Check buttons
solutions = {}  # leave empty: your answers go in the "Your turn" cells
language = "es"  # "en" or "es": the language of the quiz, the feedback, the tables and the printed results
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
# La sección 6 compara la canalización de este cuaderno con la misma canalización ejecutada por **Kubeflow
# Pipelines**. Kubeflow inicia un proceso de Python nuevo para cada paso (en Vertex AI, un contenedor nuevo), así que
# su ejecución tarda un rato. La enviamos ahora, en segundo plano, y recogemos el resultado más adelante: igual que
# envías un trabajo de canalización a Vertex AI y vuelves cuando terminó. Para que la espera sea corta, esta ejecución
# local se detiene en la puerta de validación (`last_step`): los seis pasos que convierten los datos en un modelo
# aprobado.
#
# ¿Reiniciaste el kernel? Vuelve a ejecutar las primeras celdas, como de costumbre. Si te saltas esta, la sección 6
# nota que falta el trabajo y lo envía allí; un segundo trabajo no hace daño, ya que cada trabajo escribe su propio
# archivo de resultados.

# %%
kfp_job = kfp_pipeline.submit_local_run(lab, last_step="validate_model", language=language, **size)
kfp_job

# %% [markdown]
# ## 1. Los ocho pasos del ciclo de vida del ML
#
# La guía de arquitectura de Google Cloud *MLOps: Canalizaciones de automatización y entrega continua en el aprendizaje
# automático* describe el ciclo de vida de un modelo en ocho pasos. En este taller, cada paso es una
# simple función de Python de `mlops_lab.pipeline`: lee archivos, escribe archivos y devuelve un registro de lo que
# escribió. La tabla se construye a partir de la propia definición de la canalización.

# %%
import pandas as pd

pd.set_option("display.max_colwidth", None)  # the tables below hold long text: show it in full
pipeline_steps.steps_table(language=language)

# %% [markdown]
# Algunas cosas para notar:
#
# - **La evaluación y la validación son pasos distintos.** La evaluación mide el modelo con datos reservados. La
#   validación decide: ¿es el modelo lo bastante bueno para desplegarlo? Aquí debe alcanzar un ROC AUC mínimo y
#   superar una regla simple sin ML ("todo cliente mes a mes está en riesgo").
# - **El servicio es un paso, no el final.** El paso de despliegue pone un modelo aprobado en un endpoint y
#   le envía algunas solicitudes de prueba. Los modelos también pueden incorporarse en una aplicación o
#   usarse para puntuación por lotes.
# - **La supervisión cierra el ciclo.** Compara lo que el modelo ve en producción con aquello con lo que se entrenó;
#   cuando los datos se mueven, puede iniciar la siguiente vuelta del ciclo.
#
# La *Practitioners' guide to MLOps* de Google (2021) agrupa el mismo trabajo en siete procesos. Cada paso del ciclo de
# vida pertenece a uno de ellos, y todos leen y escriben los registros compartidos de datos y modelos que están en el
# centro:
#
# | proceso de la Practitioners' guide | dónde lo encuentras en este cuaderno |
# |---|---|
# | desarrollo de ML (*ML development*) | sección 2: probar cada paso a mano hasta que funcione |
# | operacionalización del entrenamiento (*training operationalization*) | sección 3: los pasos se convierten en una canalización probada y repetible; sección 6: compilada para Vertex AI |
# | entrenamiento continuo (*continuous training*) | sección 3: la canalización se vuelve a ejecutar con datos nuevos o una configuración nueva, y reutiliza lo que no cambió |
# | despliegue del modelo (*model deployment*) | el paso `deploy_model`, después de la puerta de validación |
# | servicio de predicciones (*prediction serving*) | la prueba de humo del endpoint; cuadernos posteriores sirven predicciones por HTTP |
# | supervisión continua (*continuous monitoring*) | el paso `monitor_model` |
# | administración de datos y modelos (*data and model management*, en el centro) | sección 4: artefactos con hashes de contenido y su linaje |

# %% [markdown]
# ## 2. Laboratorio: cada paso a mano
#
# Primero, los pasos de uno en uno, como los desarrolla un científico de datos. Cada llamada escribe archivos en el
# espacio de trabajo y devuelve un `Artifact`: su tipo y un **hash de contenido** (los primeros dígitos del SHA-256
# del archivo). El mismo contenido siempre tiene el mismo hash, así que un hash nombra una versión de los datos. A un
# modelo, en cambio, lo nombra su **huella** (*fingerprint*), por una razón que verás después del entrenamiento.
#
# **Extracción, análisis y preparación de datos.** La extracción toma una instantánea de los datos de clientes. El
# análisis calcula estadísticas de cada columna y anota el esquema que deben respetar los datos. La preparación
# descarta las filas que no cumplen el esquema y divide los meses en el tiempo: entrenar con el pasado, probar con los
# meses más recientes.

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
# **Entrenamiento, evaluación y validación del modelo.** El entrenamiento ajusta el modelo de abandono con los meses de
# entrenamiento y lo guarda con skops (un formato seguro: cargarlo no puede ejecutar código arbitrario).

# %%
model = pipeline_steps.train_model(train.path, by_hand / "model.skops", seed=seed)
print(pipeline_steps.describe_artifacts(model, language=language))

# %% [markdown]
# El modelo tiene dos hashes. El **sha256 del archivo** es el hash de sus bytes: la comprobación honesta de que un
# archivo no cambió en esta máquina. Pero el entrenamiento es aritmética de punto flotante, y los distintos procesadores
# (y el código de biblioteca matemática elegido para cada uno) redondean de forma distinta los últimos bits de un número
# (hacia su 16.º dígito), así que los mismos datos y la misma semilla dan un modelo cuyo archivo difiere en unos pocos
# bits de una laptop a otra: probablemente tu sha256 del archivo no sea el que vio el autor del taller. La
# **huella** (*fingerprint*) es el hash de los parámetros del modelo redondeados a 6 cifras significativas, muy por
# encima de ese ruido y muy por debajo de cualquier cambio real, así que es la misma en todas las máquinas: es el nombre
# del modelo en la canalización, en sus registros y en su linaje. Reproducible significa "el mismo modelo", no siempre
# "los mismos bytes".

# %% [markdown]
# La evaluación puntúa el modelo con los meses de prueba, junto a la regla de referencia sin ML. La validación convierte
# esas cifras en una decisión: cada comprobación queda SUPERADA o FALLIDA.

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
# **Servicio y supervisión del modelo.** El modelo aprobado va al endpoint (local), que responde tres solicitudes de
# prueba. La supervisión trata el último mes como tráfico de producción: mide cuánto se alejó cada característica de los datos
# de entrenamiento (divergencia de Jensen-Shannon para los números, distancia L-infinito para las categorías, alerta por
# encima de 0.3: los valores predeterminados de Vertex AI Model Monitoring v1; el cuaderno 04 explica ambas medidas y la
# v2) y compara el abandono previsto con el real.

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
# Ocho llamadas, ocho artefactos, y funciona. Pero mira lo que *no* queda registrado en ninguna parte: con qué
# instantánea se entrenó el modelo, con qué configuración y con qué versión del código. Vuelve a ejecutar estas celdas
# mañana con otra configuración y los archivos se reemplazarán sin aviso. Ese es el punto débil del control de
# versiones, y la razón para convertir los pasos en una canalización.
#
# ## 3. Laboratorio: los pasos como canalización
#
# `pipeline.STEPS` declara, para cada paso, qué resultados de pasos anteriores lee y qué parámetros recibe. El dibujo
# siguiente se hace a partir de esa declaración, no de una imagen: si cambias la definición, el dibujo cambia.

# %%
import matplotlib.pyplot as plt

pipeline.draw_pipeline(language=language)
plt.show()

# %% [markdown]
# `run_pipeline` ejecuta los pasos en orden, en el proceso de este cuaderno. Antes de ejecutar un paso, el ejecutor
# calcula su **clave de caché**: un hash del código del paso, sus parámetros y las huellas de sus entradas (el hash de
# contenido para los datos, la huella para un modelo). Si ya se ejecutó un paso con la misma clave y sus resultados
# están intactos, el ejecutor los reutiliza en lugar de volver a ejecutarlo. Cada ejecución, cada paso y cada artefacto
# quedan registrados en un **almacén de metadatos** en el espacio de trabajo.
#
# (¿Ejecutas este cuaderno por segunda vez? Entonces incluso la primera ejecución de abajo encuentra sus pasos en la
# caché, y las ejecuciones se numeran a continuación de las anteriores: la caché y el almacén sobreviven a los
# reinicios. Para empezar desde cero, borra la carpeta `03_ml_lifecycle/pipeline` de tu espacio de trabajo).

# %%
first = pipeline.run_pipeline(lab, language=language, **size)
first

# %% [markdown]
# Vuelve a ejecutarla exactamente con las mismas entradas. Nada cambió, así que no hace falta ejecutar nada: cada paso
# es un acierto de caché, y la ejecución tarda una fracción de segundo.

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
# **Predice antes de ejecutar.** Las celdas siguientes cambian un parámetro y vuelven a ejecutar la canalización. Mira
# el dibujo de arriba y responde primero: ¿cuántos pasos se ejecutarán?

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
# Ahora cambia un parámetro: la intensidad de regularización `C` de la regresión logística (un `C` más pequeño
# significa un modelo más simple). Solo se vuelven a ejecutar los pasos que dependen de él: el entrenamiento y todos los
# pasos posteriores al modelo. Los pasos de datos se reutilizan.

# %%
changed = pipeline.run_pipeline(lab, **size, model_params={"C": 0.05}, language=language)
pipeline.draw_pipeline(changed, language=language)
plt.show()
changed.table()

# %% [markdown]
# Compara las huellas: la instantánea, las estadísticas y las divisiones son los mismos archivos que en la primera
# ejecución; el modelo, sus métricas y todo lo que sigue son nuevos. La caché es lo que hace barato volver a ejecutar una
# canalización a menudo, que es exactamente lo que necesita el entrenamiento continuo.
#
# ## 4. Laboratorio: preguntas de linaje
#
# El almacén de metadatos sigue el modelo de datos de **ML Metadata** (MLMD), que comparten TFX, Kubeflow Pipelines y
# Vertex ML Metadata:
#
# - un **artefacto** es un archivo que escribió un paso (un conjunto de datos, un modelo, métricas), con un tipo, una
#   ubicación, un hash de contenido y una huella;
# - una **ejecución** (*execution*) es un paso dentro de una ejecución de la canalización, con sus parámetros, su
#   versión del código y su estado (ejecutado o reutilizado de la caché);
# - un **evento** vincula una ejecución con un artefacto que leyó (entrada) o escribió (salida);
# - un **contexto** los agrupa: la canalización y cada una de sus ejecuciones.
#
# Nuestro almacén es un pequeño archivo SQLite en el espacio de trabajo (`03_ml_lifecycle/pipeline/metadata.sqlite`). El
# backend local del propio MLMD también es SQLite: no necesita servidor, cada ejecución se escribe en transacciones para
# que un fallo nunca deje medio registro, y una pregunta de linaje es una consulta SQL que sigue los eventos de
# artefacto a ejecución y de ejecución a artefacto.

# %%
store = metadata.MetadataStore(lab)
store.summary(language=language)

# %% [markdown]
# **Pregunta 1: ¿de dónde viene el modelo desplegado?** La consulta empieza en el modelo que está ahora en el endpoint,
# recorre los eventos hacia atrás hasta el paso de entrenamiento, la división y la instantánea, y hacia adelante hasta la
# evaluación del modelo.

# %%
metadata.model_lineage(lab, language=language)

# %% [markdown]
# La "versión del código" (*code version*) es un hash del código fuente de la función de cada paso: editar un paso la
# cambia e invalida la caché de ese paso. En el repositorio de un equipo, también registrarías el commit de Git.
#
# **Pregunta 2: ¿a qué modelos alimentó esta instantánea de datos?** El recorrido inverso: empieza en la instantánea y
# sigue los eventos hacia adelante hasta cada paso de entrenamiento que la usó. Si la instantánea resulta estar dañada
# (una unión incorrecta, etiquetas filtradas), esta es la lista de modelos que hay que volver a entrenar o retirar.

# %%
metadata.models_from_snapshot(lab, snapshot=first.artifacts["extract_data.snapshot"].fingerprint, language=language)

# %% [markdown]
# ## 5. Tu turno
#
# **Ejercicio 1.** La lista siguiente contiene los ocho pasos del ciclo de vida, desordenados y con sus nombres en
# inglés (*data extraction* es la extracción de datos, *model serving* el servicio del modelo, etc.). Ordénalos, desde lo
# primero que hace un equipo hasta lo último.

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
# **Ejercicio 2.** Predice antes de ejecutar: cambias `train_months` de 9 a 8 (el modelo se entrena con un mes menos y
# se prueba con cuatro meses en lugar de tres). ¿Qué pasos volverá a ejecutar la canalización? Enumera los nombres de
# sus funciones (`"extract_data"`, `"analyze_data"`, ...). La celda posterior a la comprobación ejecuta la canalización,
# para que veas si acertaste.

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
# **Ejercicio 3: escribe una clave de caché.** Esta vez escribes código, y unas pruebas ocultas lo comprueban.
# `run_pipeline` omite un paso que ya se ejecutó con las mismas entradas. Lo decide con una **clave de caché**: un texto
# calculado a partir del nombre del paso, sus parámetros y los hashes de contenido de sus artefactos de entrada. Claves
# iguales significan "reutilizar los resultados guardados". Así que la clave debe ser igual siempre que estos sean
# iguales (los mismos parámetros escritos en otro orden siguen siendo los mismos parámetros), y distinta siempre que
# cambie algo que dé forma al resultado del paso; de lo contrario, la canalización reutiliza un resultado obsoleto.
# También debe ser la misma después de reiniciar Python, o la caché nunca vuelve a acertar.
#
# Completa `cache_key(step, params, inputs)`: `step` es el nombre de un paso, `params` asigna nombres de parámetros a
# valores (un valor puede ser a su vez un diccionario), `inputs` asigna nombres de entradas a hashes de contenido;
# devuelve un `str`. Al punto de partida se le olvida algo. La celda siguiente ejecuta pruebas que no ves, casos límite
# incluidos, y nombra cada situación en la que tu función se equivoca. Tu código se guarda con tu progreso.


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
# ## 6. Laboratorio: la misma canalización en Kubeflow Pipelines, compilada para Vertex AI
#
# `mlops_lab.kfp_pipeline` envuelve cada paso en un componente de Kubeflow Pipelines (KFP v2) y los conecta en una
# canalización. El trabajo enviado al principio de este cuaderno compiló esa canalización y la ejecutó con el
# `SubprocessRunner` local de KFP, hasta la puerta de validación: cada tarea se ejecutó en su propio proceso de Python,
# con los artefactos pasados de una tarea a otra como archivos, como contenedores en Vertex AI. Su registro (varios
# cientos de líneas) se queda en el espacio de trabajo, fuera de este cuaderno.

# %%
# A kernel restart forgets the job submitted at the top of the notebook: submit it again here if so.
if "kfp_job" not in globals():
    kfp_job = kfp_pipeline.submit_local_run(lab, last_step="validate_model", language=language, **size)
kfp_run = kfp_job.wait()
kfp_run

# %% [markdown]
# El mismo código, la misma semilla, los mismos datos, la misma máquina: la ejecución de Kubeflow y la primera
# ejecución de este cuaderno deberían coincidir, byte a byte, en cada artefacto que produjo la ejecución de Kubeflow (la
# última columna compara los bytes de los archivos; las otras dos muestran las huellas). (El servicio y la supervisión no
# formaban parte de esta ejecución local; las pruebas del taller ejecutan los ocho pasos con Kubeflow y
# también comparan esos artefactos).

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
# El compilador convirtió la canalización en un archivo YAML (una *PipelineSpec*), guardado en el espacio de trabajo.
# Ese archivo, y no el código de Python, es lo que subes a **Vertex AI Pipelines**, que ejecuta cada tarea en su propio
# contenedor en máquinas administradas y registra el linaje en Vertex ML Metadata. Este es su encabezado, y el grafo de
# tareas leído a partir de él.

# %%
spec_path = lab / kfp_pipeline.KFP_DIR / kfp_pipeline.PIPELINE_FILE
print("\n".join(spec_path.read_text().splitlines()[:10]))
spec = kfp_pipeline.describe_pipeline_spec(spec_path, language=language)
print(spec)
spec.table()

# %% [markdown]
# Para ejecutarla en Google Cloud, compilarías una imagen de contenedor con este taller instalado,
# compilarías la canalización con `base_image` apuntando a esa imagen y enviarías el archivo con el SDK de Vertex AI (no
# se ejecuta aquí: necesita un proyecto). El servicio se llama *Agent Platform Pipelines* en la documentación actual
# (Vertex AI se está integrando en Gemini Enterprise Agent Platform; el cuaderno 05 tiene la tabla de nombres). El
# paquete que hay que instalar sigue siendo `google-cloud-aiplatform`, y la importación de abajo es la que usa su
# documentación actual:
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
# Vertex AI Pipelines almacena los pasos en caché de la misma manera: una tarea cuyo componente y cuyas entradas
# coinciden con una ejecución anterior correcta se omite y sus resultados se reutilizan.

# %% [markdown]
# ## 7. Cuestionario
#
# Elige una respuesta y presiona **Comprobar** en cada pregunta. Tu respuesta a la predicción de la sección 3 ya está aquí;
# dos preguntas tratan sobre lo que haría la caché de la canalización: la sección 3 explica la clave de caché.

# %%
show_quiz("03_ml_lifecycle", answers=quiz_answers, workspace=workspace, seed=seed, language=language)

# %% [markdown]
# ## 8. Resumen
#
# - El ciclo de vida del ML tiene ocho pasos: extracción de datos, análisis de datos, preparación de datos,
#   entrenamiento del modelo, evaluación del modelo, validación del modelo, servicio del modelo y supervisión del modelo;
#   la supervisión puede iniciar la siguiente vuelta.
# - Como canalización, cada paso es una función con entradas, resultados y parámetros declarados. Una caché basada en
#   hashes de contenido vuelve a ejecutar solo lo que afecta un cambio: cero pasos en una ejecución idéntica, cinco con
#   una nueva configuración del modelo.
# - Un almacén de metadatos de artefactos, ejecuciones, eventos y contextos responde preguntas de linaje en ambas
#   direcciones.
# - Los mismos pasos, ejecutados como componentes de Kubeflow, dan artefactos idénticos byte a byte y se compilan en el
#   YAML que ejecuta Vertex AI Pipelines.
#
# **En Google Cloud.** Cada paso tiene un servicio administrado a escala:
#
# | paso o registro | aquí | en Google Cloud |
# |---|---|---|
# | extracción de datos | `extract_data`, un generador con semilla | BigQuery, Cloud Storage |
# | análisis y preparación de datos | pandas | Vertex AI Workbench, Dataflow, BigQuery; Vertex AI Feature Store para las características |
# | entrenamiento del modelo | scikit-learn | Vertex AI Training (trabajos personalizados), Vertex AI Vizier para el ajuste |
# | evaluación y validación del modelo | métricas con datos reservados y una puerta | Vertex AI Model Evaluation, Experiments; una condición en la canalización; Model Registry |
# | servicio del modelo | un endpoint local | Vertex AI Endpoints (en línea), predicción por lotes |
# | supervisión del modelo | puntuaciones de deriva | Vertex AI Model Monitoring (sesgo y deriva; medidas predeterminadas de la v1) |
# | canalización y caché | `run_pipeline`, ejecutor local de KFP | Vertex AI Pipelines |
# | linaje | almacén SQLite con el modelo de MLMD | Vertex ML Metadata |
#
# **Lecturas recomendadas.** La [*Practitioners guide to MLOps*](https://services.google.com/fh/files/misc/practitioners_guide_to_mlops_whitepaper.pdf)
# de Google (2021, en inglés): busca la figura de los siete procesos alrededor de "data and model management" y, para
# cada uno, qué lee y qué escribe; compárala con la tabla del ciclo de vida de la sección 1. Luego, en
# [*MLOps: Canalizaciones de automatización y entrega continua en el aprendizaje automático*](https://cloud.google.com/architecture/mlops-continuous-delivery-and-automation-pipelines-in-machine-learning?hl=es),
# de Google Cloud, lee "Data science steps for ML" (los pasos de ciencia de datos para el ML) para ver los ocho pasos.
# Los términos están en el [glosario](GLOSARIO.md); la lista de lecturas completa está en
# [LECTURAS.md](LECTURAS.md).

# %%
print(scorecard("03_ml_lifecycle", workspace=workspace, language=language))
