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
# # 04 · Niveles de madurez de MLOps 0, 1 y 2, lado a lado
#
# Google Cloud describe tres niveles de madurez de MLOps. En el **nivel 0**, las personas hacen cada paso a mano; en el
# **nivel 1**, una canalización de entrenamiento desplegada vuelve a entrenar el modelo por sí sola (entrenamiento
# continuo); en el **nivel 2**, el propio código de la canalización también se prueba y se despliega automáticamente
# (CI/CD). Leer sobre los niveles es una cosa; este laboratorio *ejecuta* los tres sobre el mismo negocio durante un año y medio
# de datos que se desvían, y cuenta lo que cuesta cada uno.
#
# **Objetivos de aprendizaje.** Al final de este cuaderno, podrás:
# 1. medir el sesgo entre el entrenamiento y la entrega, y la deriva, como lo hace Vertex AI Model Monitoring
#    (divergencia de Jensen-Shannon, distancia L-infinito, un umbral por característica), y decir qué cambia en Model
#    Monitoring v2;
# 2. describir los niveles de madurez 0, 1 y 2 como lo hace la guía de arquitectura de Google (la desconexión entre el
#    ML y las operaciones del nivel 0, la simetría entre experimentación y operación y los componentes modulares del
#    nivel 1, las seis etapas del nivel 2) y reconocer cada uno en una simulación;
# 3. explicar qué activador de entrenamiento continuo reacciona a qué tipo de cambio (y cuál no puede ver);
# 4. mostrar por qué la CI/CD del nivel 2 importa incluso cuando el nivel 1 ya vuelve a entrenar por sí solo.

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
# ## 1. Los tres niveles en una tabla
#
# | | nivel 0: manual | nivel 1: automatización de la canalización de ML | nivel 2: automatización de la canalización de CI/CD |
# |---|---|---|---|
# | cómo se entrena un modelo | a mano, en cuadernos y secuencias de comandos | con una canalización de entrenamiento desplegada | con la canalización, cuyo código compila, prueba e despliega la CI/CD |
# | qué se despliega | un archivo de modelo, entregado en mano | la canalización de entrenamiento | la canalización, a través de pruebas automatizadas |
# | cuándo vuelve a entrenar | cuando alguien nota un problema | ante un activador: a pedido, según una programación, con datos nuevos, ante una caída del rendimiento, ante un desplazamiento de la distribución | los mismos activadores |
# | validación de datos y del modelo | ninguna | automática: el sesgo de esquema detiene la canalización; un modelo nuevo debe superar al actual | la misma |
# | código nuevo de la canalización | (no hay canalización) | se prueba y se lanza a mano | se prueba y se despliega automáticamente |
# | supervisión | ninguna | la calidad del modelo y sus datos de entrada | la misma |
#
# ### 1.1 Nivel 0: proceso manual
#
# Cada paso (extracción, análisis y preparación de datos, entrenamiento, evaluación, validación) es **manual, basado
# en secuencias de comandos e interactivo**, por lo general en cuadernos, hasta que un modelo es lo bastante bueno. La
# guía de Google destaca lo que se deriva de ello:
#
# - **Una desconexión entre el ML y las operaciones.** Los científicos de datos entregan un modelo entrenado (un
#   archivo) a los ingenieros, que lo despliegan detrás de una API. El lado del servicio suele reescribir el
#   código de las características, lo que invita al **sesgo entre el entrenamiento y la entrega**: el modelo recibe características
#   calculadas de forma distinta a aquellas con las que aprendió.
# - **Iteraciones de lanzamiento poco frecuentes.** Un modelo nuevo sale unas pocas veces al año, así que nadie
#   automatiza el proceso.
# - **Sin CI ni CD.** El código se prueba en cuadernos ejecutándolos; el despliegue se hace a mano. Solo se
#   despliega el servicio de predicción, nunca el proceso que creó el modelo.
# - **Sin supervisión activa del rendimiento.** Nada hace un seguimiento de las predicciones y acciones del modelo, así
#   que la degradación se descubre cuando el negocio se queja.
#
# ### 1.2 Nivel 1: automatización de la canalización de ML
#
# El objetivo es el **entrenamiento continuo**: los pasos se convierten en una canalización que vuelve a entrenar el
# modelo en producción.
#
# - **Experimentos rápidos y orquestados**: las transiciones entre pasos están automatizadas, así que probar una idea
#   es barato.
# - **Simetría entre experimentación y operación**: la *misma* canalización se ejecuta en desarrollo, preproducción y
#   producción, que es lo que une el trabajo de los científicos de datos con las operaciones.
# - **Código modular para componentes y canalizaciones**: cada paso es un componente reutilizable y combinable (a
#   menudo en su propio contenedor), así que se ejecuta igual en todas partes (la canalización del cuaderno 03 está
#   construida así).
# - **Se despliega la canalización, no el modelo**: en producción se ejecuta sola y entrega modelos nuevos.
# - **Activadores** que la inician: **a pedido** (una persona solicita una ejecución), según una programación, con
#   datos nuevos, ante una caída del rendimiento del modelo o ante un cambio significativo en la distribución de los
#   datos.
# - A su alrededor: **validación de datos** (el sesgo de esquema detiene la canalización; el sesgo de valores inicia un
#   reentrenamiento), **validación del modelo** (un modelo nuevo debe superar al actual, también en segmentos de
#   datos), un **almacén de metadatos** (la versión de la canalización, los parámetros, los artefactos y las métricas de
#   cada ejecución) y, opcionalmente, un **almacén de características** (*feature store*).
#
# Su punto débil: el *código* nuevo de la canalización se sigue probando y lanzando a mano, así que las mejoras salen
# pocas veces.
#
# ### 1.3 Nivel 2: automatización de la canalización de CI/CD
#
# El nivel 2 automatiza la entrega de la propia canalización. La guía de Google lo describe en **seis etapas**:
#
# | etapa | qué ocurre | qué produce | en este laboratorio |
# |---|---|---|---|
# | 1. desarrollo y experimentación | probar algoritmos y modelos; los pasos están orquestados | código fuente de los pasos de la canalización, enviado al control de código fuente | las versiones de código v1, v2 y v3 del escenario |
# | 2. integración continua de la canalización | compilar el código y ejecutar pruebas (lógica de las características, métodos del modelo, el entrenamiento converge, ningún NaN, cada componente produce sus artefactos) | componentes de la canalización: paquetes, ejecutables, artefactos | `world.ci(...)`, que bloquea la refactorización defectuosa |
# | 3. entrega continua de la canalización | desplegar los componentes compilados en el entorno de destino | una canalización desplegada con la nueva implementación | "la CD desplegó la canalización el mismo mes" |
# | 4. activación automatizada | la canalización se ejecuta en producción según una programación o en respuesta a un activador | un modelo entrenado, enviado al registro de modelos | las ejecuciones programadas de la canalización |
# | 5. entrega continua del modelo | servir el modelo entrenado como servicio de predicción | un servicio de predicción del modelo desplegado | "promovido" en el diario |
# | 6. supervisión | recopilar estadísticas sobre el rendimiento del modelo con datos en vivo | un activador para la canalización o un nuevo ciclo de experimentación | la supervisión de la sección 3 |
#
# El análisis de datos y el análisis del modelo siguen siendo manuales: las personas siguen decidiendo qué probar a
# continuación.
#
# ## 2. El negocio y su año y medio
#
# El modelo de abandono de todos los laboratorios se ejecuta ahora en producción desde abril de 2025 hasta junio de 2026. Su
# primer modelo aprende de los datos de enero a marzo. El `Scenario` contiene lo que ocurre mientras tanto: un
# **desplazamiento gradual de covariables** (la composición de los clientes se mueve hacia contratos mes a mes más
# caros), un **cambio de concepto repentino** (los clientes se vuelven mucho más sensibles al precio), un **incidente de
# calidad de datos** (una exportación de un paso anterior se rompe: cargos faltantes, antigüedades negativas, un tipo de
# contrato desconocido) y dos cambios en el **código** de la canalización: una característica nueva (las llamadas a soporte,
# unidas desde el sistema de tickets) y, más tarde, una refactorización con un error (divide por una antigüedad que puede
# ser cero).
#
# La calidad es lo que siente el negocio: el costo de los errores del modelo por cliente (un abandono no detectado
# cuesta 100; una oferta de retención desperdiciada, 10), así que **cuanto más bajo, mejor**. El objetivo del negocio:
# como máximo 20 por cliente. La lista de acontecimientos nombra el tipo de cada uno con su identificador del código.

# %%
scenario = maturity.Scenario(seed=seed, customers_per_month=1000 if mode == "smoke" else 3000)
world = maturity.World(scenario)
for event in scenario.events():
    print(f"{world.labels[event.month]}  {event.kind:<20}{event.describe(language=language)}")

# %% [markdown]
# ## 3. Primero, la supervisión: sesgo y deriva, al estilo de Vertex AI
#
# Vertex AI Model Monitoring compara los datos que recibe un modelo con una línea de base, característica por característica.
# Comparada con los **datos de entrenamiento**, una diferencia es **sesgo entre el entrenamiento y la entrega**
# (*training-serving skew*); comparada con datos de producción anteriores, es **deriva** (*drift*). Para una característica
# **numérica**, agrupa los valores en un histograma y calcula la **divergencia de Jensen-Shannon**, un número entre 0
# (la misma distribución) y 1 (nada en común); para una característica **categórica**, toma la **distancia L-infinito**, el
# mayor cambio en la proporción de cualquier categoría. Cada característica tiene un umbral; alcanzarlo genera una alerta.
#
# Esos valores predeterminados (Jensen-Shannon para los números, L-infinito para las categorías, **0.3** para cada
# característica) son los de **Model Monitoring v1**, la versión que vigila un endpoint (`ModelDeploymentMonitoringJob`) y la
# que copia este laboratorio. **Model Monitoring v2** vincula un *monitor de modelo* a una versión de Model Registry (incluso un
# modelo que se sirve fuera de Google Cloud); allí eliges la métrica para cada objetivo (para las categorías,
# L-infinito o Jensen-Shannon) y configuras umbrales de alerta por objetivo y por característica, así que no des por sentado
# el 0.3 de la v1.
#
# Aquí, "sesgo" significa sesgo entre el entrenamiento y la entrega. El *sesgo de esquema* y el *sesgo de valores* del
# cuaderno 02 son otro uso de la palabra: la validación de datos que compara un lote nuevo con el esquema antes de
# entrenar.
#
# El informe también muestra el **índice de estabilidad de la población** (PSI), otra medida de un desplazamiento, que
# se explica en la nota opcional al final de esta sección. Este es diciembre de 2025, frente a los datos de
# entrenamiento del primer modelo:

# %%
training_data = world.training_data(world.initial_key())
december = world.batches[world.labels.index("2025-12")]
monitoring.detect_skew(training_data, december, language=language)

# %% [markdown]
# La deriva usa las mismas métricas, con una ventana anterior de datos de producción como línea de base; aquí,
# noviembre de 2025:

# %%
november = world.batches[world.labels.index("2025-11")]
print(monitoring.detect_drift(november, december, language=language).summary())

# %% [markdown]
# Un trabajo de supervisión ejecuta esto cada mes. El gráfico muestra la distancia de cada característica a lo largo del
# tiempo frente al umbral de 0.3. Observa cómo el desplazamiento de covariables sube poco a poco, cómo el incidente de
# datos salta por encima de la línea y cómo el cambio de concepto no hace nada en absoluto: cambia *por qué* abandonan
# los clientes, no *quiénes* son los clientes.

# %%
import matplotlib.pyplot as plt

maturity_plots.plot_monitoring(world, language=language)
plt.show()

# %% [markdown]
# ### Para profundizar (opcional): divergencia o distancia, bits o nats, y PSI
#
# Omite esta nota en una primera lectura; nada de lo que sigue depende de ella.
#
# `scipy.spatial.distance.jensenshannon` devuelve la *distancia* de Jensen-Shannon, la raíz cuadrada de la divergencia,
# calculada con logaritmos naturales (nats), a menos que pases `base=2` (bits). Vertex AI (a través de TensorFlow Data
# Validation) compara la *divergencia* en base 2, un número entre 0 y 1: `jensenshannon(p, q, base=2) ** 2`. Una
# divergencia de 0.3 es una distancia en base 2 de 0.55 (0.46 con logaritmos naturales), así que un umbral que se pasa
# de un número al otro cambia cuándo recibes las alertas.
#
# El **índice de estabilidad de la población** suma, sobre los intervalos del histograma, (proporción actual -
# proporción de referencia) x ln(proporción actual / proporción de referencia). La industria lo lee con reglas
# prácticas: por debajo de 0.1, estable; por encima de 0.25, un desplazamiento importante.

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
# ## 4. Laboratorio: un modelo, operado de tres maneras
#
# Cada nivel es un objeto de política que puedes leer. Los niveles 1 y 2 usan el mismo activador (una programación,
# cada tres meses); cada paso humano tarda `human_delay` = 3 meses: notar un problema en el nivel 0, lanzar o reparar
# código de la canalización en el nivel 1. Cada ejecución de entrenamiento se registra en MLflow, el almacén de
# metadatos de este taller.

# %% [markdown]
# Los tres empiezan con el mismo primer modelo, entrenado a mano con los datos de enero a marzo de 2025 con la versión 1
# del código de la canalización. Su primer mes en producción:

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
# El gráfico pone los tres niveles en una misma línea de tiempo. Las líneas verticales marcan los acontecimientos; los
# triángulos marcan el mes en que un modelo nuevo entró en producción.

# %%
comparison.plot_quality()
plt.show()

# %% [markdown]
# El diario de cada nivel cuenta qué ocurrió y por qué. Lee el del nivel 0: el incidente de datos pasa inadvertido, y
# solo se actúa ante un problema después de tres meses malos seguidos. El nivel 1 vuelve a entrenar según la
# programación y la validación de datos detiene el lote defectuoso, pero el código de su canalización espera tres meses
# a un lanzamiento manual, y la refactorización sin probar rompe la canalización hasta que un ingeniero la repara:
# mientras tanto, sus ejecuciones fallan ("FALLIDA"). La CI del nivel 2 publica la característica nueva el mismo mes y
# bloquea el cambio defectuoso. Las líneas debajo de los diarios lo expresan en cifras.

# %%
for outcome in comparison.outcomes:
    print(f"== {outcome.name}")
    print(outcome.journal_text())
print()
print(comparison.broken_pipeline_note())

# %% [markdown]
# Mira también los últimos meses del gráfico. Un equipo de nivel 0 que por fin vuelve a entrenar a mano, con datos
# recientes, puede terminar el período tan bien como el nivel 2, o mejor que un nivel 1 cuya canalización está rota: un
# modelo que se vuelve a entrenar en el momento adecuado es tan bueno como los datos que vio, lo haya entrenado quien lo
# haya entrenado. La madurez no mejora un modelo individual. Cambia cuántos meses se pasan fuera del objetivo, cuánto
# tarda la recuperación, cuántos problemas llegan a producción sin que nadie lo note y cuánto de todo ello necesita a una
# persona; lee esas filas de la tabla, no solo el último punto del gráfico.
#
# Este es el informe de CI que bloqueó la refactorización defectuosa en el nivel 2. Las pruebas de unidades del código
# de ML compartido, las que ejecutaría una CI de DevOps sin más, pasan todas; las comprobaciones de la canalización en
# el paso de la característica nueva detectan la división por cero.

# %%
world.ci(maturity.CODE_V3).table(language=language)

# %% [markdown]
# Cada ejecución está en MLflow, con sus parámetros, el veredicto de la puerta de validación y la huella de los datos con
# los que se entrenó (el linaje que permite responder meses después "¿qué datos crearon el modelo en producción?"):

# %%
runs = tracking.compare_runs(store=store, params=["level", "month", "pipeline_code", "reason"], metrics=["promoted"])
maturity_plots.run_table(runs, language=language)

# %% [markdown]
# ## 5. Cambia el mundo y observa cómo cambia el resultado
#
# Cambia los valores de abajo y ejecuta las dos celdas: un desplazamiento de covariables o un cambio de concepto mayor
# o menor, otro activador u otro umbral, una organización más rápida o más lenta. Los valores predeterminados hacen el
# desplazamiento tres veces más fuerte y cambian los niveles 1 y 2 al activador por desplazamiento de la distribución,
# con el umbral de 0.3 de Vertex AI: compara la tabla con la de la sección 4 y luego prueba otro activador, una
# organización más lenta o `covariate_drift = 0`.

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
# ## 6. Tu turno
#
# **Ejercicio 1.** La supervisión debería avisarte *antes* de que un desplazamiento haga daño, sin dar falsas alarmas.
# Elige un único umbral para todas las características de modo que el gráfico de supervisión de arriba dé una alerta durante el
# desplazamiento de covariables (antes del cambio de concepto), pero nunca en abril o mayo de 2025, antes de que empiece
# el desplazamiento. El valor predeterminado de 0.3 de Vertex AI es un punto de partida, no una ley. (El mes del
# incidente de datos no cuenta: de él se encarga la validación de datos).

# %%
drift_threshold = 0.3  # your turn: change this value

# %%
drift_threshold = your_turn.submit(
    "drift-threshold",
    drift_threshold,
    check=lambda value: exercise_checks.check_drift_threshold(value, world=world, language=language),
)

# %% [markdown]
# **Ejercicio 2.** Volver a entrenar cuesta cómputo, revisión y riesgo, así que el negocio quiere **el menor número
# posible de meses fuera del objetivo, con el menor número posible de reentrenamientos**. Elige un activador
# (`"schedule"`, `"new_data"`, `"performance"` o `"drift"`) y su umbral para el nivel 2 en el escenario predeterminado.
# La comprobación ejecuta tu política y la compara con la mejor política que encontró una búsqueda entre todos los
# activadores.

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
# La búsqueda completa, la mejor primero. Busca el activador por deriva (*drift*): un cambio de concepto no mueve
# las entradas, así que un activador por deriva no puede verlo. Cuando un umbral de deriva sí vuelve a entrenar
# a tiempo después del cambio de concepto, es porque el desplazamiento de covariables sigue moviendo las entradas justo
# en ese momento: acierta por suerte. Las líneas encima de la tabla destacan las filas del activador por deriva.

# %%
print(search.describe_best(language=language))
for score in sorted((s for s in search.scores if s.trigger == "drift"), key=lambda s: s.threshold):
    print(score.describe(language=language))
search.to_frame(language=language)

# %% [markdown]
# **Ejercicio 3: escribe un activador de nuevo entrenamiento.** Esta vez escribes código, y unas pruebas ocultas lo
# comprueban. En el nivel 1, la canalización decide por sí sola cuándo volver a entrenar. Cada mes, la supervisión le
# entrega un informe, un diccionario como
# `{"data_valid": True, "drift": {"contract": 0.12, ...}, "recall": 0.66, "baseline_recall": 0.72}`. Completa
# `should_retrain(report, *, drift_threshold=0.3, max_recall_drop=0.05)`. Devuelve `True` cuando:
#
# - la puntuación de deriva de una característica alcanza `drift_threshold` (igual o por encima, como las alertas de
#   Vertex AI), o
# - la recuperación (*recall*) cayó más de `max_recall_drop` por debajo de `baseline_recall`.
#
# Una puntuación de deriva puede faltar (`None` o NaN: esa característica no se supervisó), y también la recuperación
# (`None`: las etiquetas de abandono del mes aún no llegaron); un valor faltante ni activa ni impide un nuevo
# entrenamiento. Y digan lo que digan la deriva y la recuperación, un mes cuyos datos no pasaron la validación
# (`"data_valid": False`) nunca activa uno: un modelo que se vuelve a entrenar con datos defectuosos aprende el fallo. El
# punto de partida solo mira la deriva. La celda siguiente ejecuta pruebas que no ves, casos límite incluidos, y
# nombra cada situación en la que tu función se equivoca. Tu código se guarda con tu progreso.


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
# ## 7. Cuestionario
#
# Dos preguntas te piden calcular una diferencia a partir de tu comparación de la sección 4: vuelve a mirar su tabla.

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
# ## 8. Resumen
#
# - El nivel 0 es manual: nada nota un problema hasta que lo nota el negocio, y nada comprueba los datos.
# - El nivel 1 despliega la canalización de entrenamiento: entrenamiento continuo ante un activador, validación de datos
#   que se detiene ante un sesgo de esquema, validación del modelo antes de la promoción. Su código sigue avanzando a
#   mano, despacio y sin pruebas.
# - El nivel 2 añade CI/CD a la canalización: el código nuevo se prueba y se publica en días, y el código defectuoso se
#   bloquea.
# - La supervisión mide las entradas (sesgo y deriva); solo las señales basadas en etiquetas ven un cambio de
#   concepto.
# - El nivel 2 de Google se ejecuta en seis etapas: desarrollo y experimentación, CI de la canalización, CD de la
#   canalización, activación automatizada, entrega continua del modelo y supervisión.
#
# **En Google Cloud.**
#
# | aquí | en Google Cloud |
# |---|---|
# | `monitoring.detect_skew` / `detect_drift`, umbrales de 0.3 | **Vertex AI Model Monitoring** v1: trabajos de sesgo y deriva en un endpoint, Jensen-Shannon y L-infinito, alertas por correo electrónico o Cloud Monitoring; la v2 vincula un monitor a una versión de modelo registrada, con métricas y umbrales elegidos por objetivo |
# | la canalización del nivel 1 y sus activadores | ejecuciones de **Vertex AI Pipelines**, iniciadas por una programación, por **Cloud Scheduler** o por eventos (**Pub/Sub**, **Eventarc**) ante datos nuevos y alertas de supervisión |
# | la validación de datos, la puerta de validación del modelo | componentes de TFX / TFDV o pasos de la canalización; una condición en la canalización antes de la promoción en **Model Registry** |
# | ejecuciones registradas en MLflow | **Vertex AI Experiments** y **Vertex ML Metadata** (el linaje de cada ejecución) |
# | la CI y la CD del nivel 2 (`run_ci`) | **Cloud Build** prueba y compila la canalización desde el control de código fuente, **Artifact Registry** la almacena y luego se despliega en Vertex AI Pipelines |
#
# En la documentación actual, estos servicios llevan el nombre de **Gemini Enterprise Agent Platform** (Agent Platform
# Pipelines, Agent Platform Experiments, ...): el cuaderno 05 tiene la tabla de nombres antiguos y nuevos.
#
# **Lecturas recomendadas.** [*MLOps: Canalizaciones de automatización y entrega continua en el aprendizaje automático*](https://cloud.google.com/architecture/mlops-continuous-delivery-and-automation-pipelines-in-machine-learning?hl=es),
# de Google Cloud: lee las tres secciones sobre los niveles de MLOps con sus diagramas; para el nivel 0, busca sus
# "desafíos"; para el nivel 1, la lista de activadores; y para el nivel 2, las seis etapas y cuáles de ellas siguen
# siendo manuales. Los términos están en el [glosario](GLOSARIO.md); la lista de lecturas completa está
# en [LECTURAS.md](LECTURAS.md).

# %%
print(scorecard("04_maturity_levels", workspace=workspace, language=language))
