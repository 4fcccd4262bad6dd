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
# # 02 · DevOps frente a MLOps: probar un sistema de ML con CI, CD y CT
#
# DevOps enseñó a los equipos de software a publicar cambios pequeños con frecuencia y de forma segura: las máquinas,
# no las personas, compilan y prueban cada cambio. Un sistema de ML también es software, así que necesita todo eso.
# Pero tiene además dos piezas móviles que las pruebas de código nunca miran: los **datos** y el **modelo** aprendido a
# partir de ellos. Este cuaderno muestra dónde deja DevOps de proteger un sistema de ML y construye las comprobaciones
# que añade MLOps.
#
# **Objetivos de aprendizaje.** Al final de este cuaderno, podrás:
# 1. describir lo que CI y CD aportan al software, y distinguir la entrega continua del despliegue continuo;
# 2. explicar, con un ejemplo, por qué que las pruebas de código pasen no significa que el sistema de ML esté sano;
# 3. validar datos con un esquema usando pandera, y distinguir el **sesgo de esquema** (detener la canalización) del
#    **sesgo de valores** (volver a entrenar);
# 4. someter un modelo candidato a una puerta de validación frente al modelo actual, una regla de referencia y
#    segmentos de datos antes de promoverlo;
# 5. decir qué aporta el entrenamiento continuo (CT) y por qué "compilar el modelo" pertenece a CI/CD y no a CT;
# 6. nombrar las cinco áreas en las que el ML difiere del software corriente.

# %% tags=["parameters"]
# Settings you may change. Another seed gives other customers and another order of quiz options; the lessons hold
# for any seed.
seed = 42  # every random number in the notebook comes from this seed
workspace = None  # folder for your progress (None: $MLOPS_LAB_WORKSPACE or ./workspace)
quiz_answers = {}  # leave empty: you answer with the Check buttons
solutions = {}  # leave empty: your answers go in the "Your turn" cells
language = "es"  # "en" or "es": the language of the quiz, the feedback, the scorecard and the tables
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
# ## 1. Lo que DevOps aporta al software
#
# **Integración continua (CI).** Los desarrolladores integran cambios pequeños en el código compartido muchas veces al
# día. Cada cambio activa los mismos pasos automáticos: obtener el código, compilarlo, ejecutar las pruebas de unidades
# e integrarlo solo si todo sale en verde. Los errores aparecen minutos después de escribirse, y los encuentra quien
# los escribió.
#
# **Entrega continua (CD).** Cada compilación que pasa la CI se empaqueta, se prueba más a fondo (integración,
# aceptación) y queda lista para lanzarse. Compilar, probar y lanzar se vuelve una rutina en lugar de un
# acontecimiento.
#
# | | entrega continua | despliegue continuo |
# |---|---|---|
# | cada cambio se compila y se prueba automáticamente | sí | sí |
# | cada cambio que pasa las pruebas está listo para producción | sí | sí |
# | el lanzamiento a producción | lo decide una persona (un clic) | automático, sin paso humano |
#
# Nuestro proyecto de abandono (*churn*) también tiene una canalización de DevOps: las pruebas de unidades de su código
# de ML. Comprueban que la lógica de las características es correcta, que el preprocesamiento nunca produce NaN y que el
# entrenamiento converge con una muestra diminuta.

# %%
code_tests = ci.run_code_tests(seed=seed, language=language)
code_tests

# %% [markdown]
# ## 2. Por qué eso no basta para el ML
#
# Este es un año del negocio de abandono. El modelo se entrena con los datos de enero a junio y se despliega. A partir
# de julio, los clientes cambian: los precios suben, más clientes eligen contratos mes a mes y se vuelven mucho más
# sensibles al precio. Nadie toca el código, así que la CI ejecuta las mismas pruebas cada mes y cada mes pasan.
#
# La medida es el **costo de actuar según las decisiones del modelo**: cada abandono no detectado y cada oferta de
# retención desperdiciada tienen un precio, promediado por cliente (cuanto más bajo, mejor). Junto al modelo
# desplegado (congelado), el gráfico muestra un modelo que se vuelve a entrenar cada trimestre con los tres meses
# anteriores.

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
# El código no cambió, así que sus pruebas no podían notar nada. El modelo empeoró **en silencio**: sigue respondiendo
# a cada solicitud, su pronóstico parece plausible y solo las cifras del negocio se desvían. El software no se degrada
# cuando el mundo cambia; un modelo sí, porque lo que aprendió era una instantánea de los datos.
#
# Dos cosas del gráfico pueden parecer erróneas, y ambas son lecciones:
#
# - **Los meses en gris.** El costo del modelo congelado de enero a junio es *dentro de la muestra*: se mide en los
#   meses de los que aprendió, cuyos resultados ya vio. Una puntuación así suele favorecer al modelo y nunca dice cómo
#   le va con clientes nuevos; por eso la cifra de "antes" de arriba sale de meses que no vio.
# - **De julio a septiembre.** El modelo trimestral que está en servicio en esos meses se entrenó con los datos de
#   abril a junio: tampoco vio el cambio y aprendió de la mitad de meses que el modelo congelado, así que no tiene por
#   qué hacerlo mejor y puede hacerlo peor. Volver a entrenar solo compensa cuando la ventana de entrenamiento contiene
#   el nuevo comportamiento: el modelo entrenado con julio a septiembre, que está en servicio desde octubre. Volver
#   a entrenar no es magia; volver a entrenar *con los datos correctos*, sí.
#
# Así que una canalización de ML tiene que probar dos cosas más que una canalización de software: los **datos** que
# entran y el **modelo** que sale. La guía de MLOps de Google Cloud lo dice así: la CI también prueba y valida datos,
# esquemas de datos y modelos; la CD entrega una canalización de entrenamiento que luego despliega el modelo; y el
# entrenamiento continuo (CT), exclusivo del ML, vuelve a entrenar y sirve modelos automáticamente.

# %% [markdown]
# ## 3. Laboratorio: una canalización de CI para un proyecto pequeño de ML
#
# La canalización tiene cuatro etapas. La etapa 1 es la que DevOps ya ejecuta; las etapas 2 a 4 son las que añade
# MLOps.
#
# | etapa | comprueba | ¿en una canalización de DevOps sin más? |
# |---|---|---|
# | 1. pruebas de código | lógica de las características, ningún NaN, el entrenamiento converge | sí |
# | 2. validación de datos | esquema (columnas, tipos, valores faltantes, rangos, categorías) y estadísticas | no |
# | 3. validación del modelo | el candidato supera al modelo actual y a una regla de referencia, en general y por segmentos | no |
# | 4. entrenamiento continuo | las etapas 2 y 3 se ejecutan solas cada vez que llegan datos nuevos | no |
#
# La etapa 1 se ejecutó más arriba: 3/3 comprobaciones superadas. Ahora, los datos.
#
# ### 3.1 Validación de datos: un esquema inferido a partir de los datos de entrenamiento
#
# `data_validation.infer_schema` lee los datos de entrenamiento y anota cómo son los datos buenos: las columnas
# obligatorias, sus tipos, si pueden faltar valores y las categorías permitidas. Los rangos numéricos salen del
# contrato de datos (`data.VALID_RANGES`), porque el valor mínimo y el máximo de una muestra son demasiado estrictos:
# los datos perfectamente buenos del mes siguiente los romperían. El esquema también guarda las estadísticas de
# entrenamiento, para medir cuánto se ha movido un lote nuevo.

# %%
schema = data_validation.infer_schema(train, language=language)
schema

# %% [markdown]
# Ahora, un mes limpio, el mismo mes con cada uno de los fallos que planta `data.inject_faults` y un mes cuya
# distribución se desplazó. Dos tipos de problemas, dos reacciones distintas (la regla que da la guía de MLOps de
# Google para una canalización de entrenamiento automatizada, el "nivel 1" del cuaderno 04):
#
# - **sesgo de esquema** (*schema skew*): los datos no coinciden con el esquema (falta una columna, un valor es
#   imposible, una categoría es desconocida). Entrenar con ellos produciría basura: la acción es **detener la
#   canalización** y dejar que una persona lo revise.
# - **sesgo de valores** (*value skew*): los datos son válidos, pero sus estadísticas se movieron (aquí: una media se
#   mueve más de 0.25 desviaciones estándar de entrenamiento, o la proporción de una categoría, más de 0.1). El mundo
#   cambió: la acción es **activar un reentrenamiento**.
#
# Una advertencia: "sesgo" (*skew*) tiene un segundo significado que verás en los cuadernos 04 y 05. El **sesgo entre
# el entrenamiento y la entrega** (*training-serving skew*) es una diferencia entre los datos con los que se entrenó un
# modelo y los que recibe al servir predicciones (por ejemplo, porque el código de servicio calcula una característica de
# otra manera); Vertex AI Model Monitoring lo mide en las solicitudes en vivo. El sesgo de esquema y el sesgo de
# valores, aquí, comparan un *lote nuevo* con el esquema *antes* de entrenar con él.

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
# Cada informe enumera a la vez todas las comprobaciones que fallan (la validación *diferida*, *lazy*, de pandera), con
# cuántas filas fallan y ejemplos, para que quien esté de guardia vea todo el problema de una vez:

# %%
data_results["out of range"]

# %%
data_results["shifted distribution (2025-12)"]

# %% [markdown]
# Detrás de `schema.validate` está pandera. Esta es la llamada real, con el lote que tiene un tipo de contrato
# desconocido:

# %%
import pandera.pandas as pa

try:
    schema.pandera_schema().validate(batches["unseen category"], lazy=True)
except pa.errors.SchemaErrors as errors:
    failures = errors.failure_cases[["column", "check", "failure_case"]].drop_duplicates()
    print(failures.to_string(index=False))

# %% [markdown]
# Hay algo que la validación de datos no puede ver: en julio, los clientes se volvieron más sensibles al precio, pero
# los datos de julio pasan todas las comprobaciones. Un cambio en *cómo se relacionan las características con el abandono*
# (deriva de concepto, *concept drift*) deja las características con un aspecto normal. Solo las etiquetas nuevas, y las
# comprobaciones del modelo que siguen, lo revelan.

# %%
schema.validate(months["2025-07"], name="2025-07", language=language)

# %% [markdown]
# ### 3.2 Validación del modelo: la puerta antes de la promoción
#
# En octubre, el equipo tiene tres meses de datos nuevos etiquetados (de julio a septiembre). La canalización entrena
# un candidato con ellos. Antes de que el candidato reemplace al modelo actual, una puerta de validación los compara
# con los datos de octubre a diciembre:
#
# - en general, el candidato debe superar al **modelo actual** y a una **regla de referencia** (*baseline*: una regla
#   de una línea según la cual la probabilidad de abandono de cada cliente es la tasa de abandono de su tipo de
#   contrato);
# - en cada **segmento** (*slice*: cada región, cada tipo de contrato) no debe quedar más de 0.02 por detrás del modelo
#   actual. Un promedio mejor puede ocultar un grupo de clientes a los que el nuevo modelo atiende mal.
#
# La métrica es F1 con el umbral 0.5 (F1 equilibra la precisión y la recuperación, cuaderno 01): el negocio llama a
# los clientes que el modelo marca, así que le importan esas decisiones. `ci.run_ci_pipeline` ejecuta todas las
# etapas en orden (pruebas de código, validación de datos, entrenamiento, validación del modelo) e informa qué etapas
# habría ejecutado una canalización de DevOps sin más.

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
# La comprobación de estadísticas advierte (AVISO) de un sesgo de valores, que es justo la razón por la que esta ejecución
# vuelve a entrenar. Esta es la puerta en detalle:

# %%
run_a.gate

# %% [markdown]
# Ahora, la misma canalización con un extracto que tiene un error en un paso anterior: se perdió la mitad de las bajas
# de la región oeste (registradas como "se quedó"). Todos los valores siguen siendo válidos, así que la validación de
# datos no puede verlo.

# %%
west_extract = model_validation.drop_cancellations(new_data, column="region", value="west", share=0.5, seed=seed)
run_w = ci.run_ci_pipeline(west_extract, name=translatable("candidate W"), **pipeline)
run_w

# %%
run_w.gate

# %% [markdown]
# Lo que vio la puerta, leído de la tabla anterior:

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
# Un candidato entrenado con el extracto defectuoso aprende que los clientes del oeste rara vez se van. Si se promoviera
# por su promedio, dejaría de llamar a muchos clientes a punto de abandonar en el oeste; solo una comprobación por
# segmento puede verlo.
#
# Y un extracto que perdió una columna: la canalización se detiene en la validación de datos y no se entrena ningún
# modelo con él.

# %%
broken_extract = data.inject_faults(new_data, faults=["missing_column"], seed=seed)
ci.run_ci_pipeline(broken_extract, name=translatable("broken extract"), **pipeline)

# %% [markdown]
# ### 3.3 Lo que añade el entrenamiento continuo
#
# Hasta ahora, una persona ejecutaba cada comprobación. Con el CT, la misma canalización se ejecuta sola cada vez que
# llega un mes de datos etiquetados: valida los datos, se detiene ante un sesgo de esquema y, si no lo hay, entrena un
# candidato con los tres últimos meses aceptados y lo somete a la puerta frente al modelo en producción con el mes
# nuevo. Para que sea realista, el archivo de octubre llega sin su columna `data_usage_gb`.

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
# Nadie tuvo que notar la degradación ni iniciar un reentrenamiento: cada mes, la canalización decidió por sí sola.
# Promovió un candidato solo cuando pasó la puerta, mantuvo el modelo en producción en los demás casos y rechazó el
# archivo defectuoso de octubre.
#
# ### 3.4 El informe de CI: qué comprobación detectó cada fallo
#
# Cada fallo de este laboratorio, frente a lo que informó una canalización de DevOps sin más (solo pruebas de código). Primero,
# predice: ¿cuántos fallos detectarán las pruebas de código?

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
# Las pruebas de código pasaron todas las veces: nunca iban a ver nada de esto. La validación de datos detectó los
# cinco fallos de esquema y el desplazamiento. Dos problemas pasaron la validación de datos porque todos sus valores
# eran válidos: las bajas perdidas del oeste, que detectó la puerta por segmentos, y el cambio de concepto, que ninguna
# comprobación de datos puede ver. Solo se nota en los resultados del modelo con etiquetas nuevas (sección 2), y por eso
# el entrenamiento continuo evalúa el modelo en producción y cada candidato con cada mes nuevo.
#
# ### 3.5 Compilar el modelo: CI/CD, no CT
#
# El curso pregunta qué paso forma parte de CI/CD pero no del entrenamiento continuo, y su respuesta es **compilar el
# modelo** (*building the model*). "Compilar" se entiende como en el software: convertir el código fuente en un
# artefacto probado que se puede desplegar. En un sistema de ML, la fuente es el código del modelo y de su
# canalización de entrenamiento (lógica de las características, métodos del modelo, los componentes de la canalización). La
# **CI** compila y prueba ese código (las pruebas de la sección 1: lógica de las características, ningún NaN, el entrenamiento
# converge) y la **CD** entrega la canalización compilada a producción. Ambas se ejecutan cuando cambia el **código**.
#
# El **entrenamiento continuo** se ejecuta cuando ocurre otra cosa: llegan datos nuevos, se cumple una programación,
# baja la calidad, las entradas se desplazan o una persona lo solicita (a pedido). Ejecuta la canalización que la CD ya
# entregó, con el *mismo* código, para volver a entrenar, validar y servir un modelo nuevo, como en la sección 3.3.
#
# | actividad | qué la inicia | CI/CD o CT | en este taller |
# |---|---|---|---|
# | compilar el modelo: compilar y probar el código del modelo y de su canalización | un cambio de código | CI/CD | las pruebas de código de la sección 1 |
# | integración continua de la canalización (el nombre que da Google a ese paso en su "nivel 2") | un cambio de código | CI/CD | el nivel 2 del cuaderno 04 |
# | entregar a producción la canalización probada | que la CI pase | CI/CD | el nivel 2 del cuaderno 04 |
# | volver a entrenar, validar y servir un modelo; supervisarlo y medirlo | datos nuevos, una programación, una caída de la calidad, un desplazamiento, a pedido | CT | sección 3.3 |
# | integración con un almacén de características (*feature store*) | (un componente, no un activador) | sirve a ambos: el entrenamiento y la predicción leen las mismas características | cuaderno 05 |
#
# Si lees la tabla, notarás que la "integración continua de la canalización" tampoco es CT, sino CI/CD. El
# cuestionario del curso la presenta como opción incorrecta y da como clave "compilar el modelo"; recuerda la clave del
# curso para su cuestionario, y la regla detrás de ambas: **los cambios de código pasan por CI/CD; los datos nuevos
# pasan por CT.**
#
# ## 4. Tu turno
#
# **Ejercicio 1: escribe una comprobación de datos.** Una comprobación de datos es un simple diccionario:
# `{"column": ..., "min": ..., "max": ...}` para un rango numérico, `{"column": ..., "allowed": [...]}` para categorías
# o `{"column": ..., "nullable": False}` para prohibir valores faltantes. La tuya se ejecuta con cuatro meses limpios
# (enero, abril, julio y el octubre desplazado) y con un lote por cada fallo plantado. Aprueba cuando detecta al menos un
# fallo y **no da ninguna falsa alarma** con los datos limpios. La regla predeterminada de abajo es una suposición sobre
# la antigüedad (*tenure*): corrígela para que detecte los valores de antigüedad fuera de rango sin activarse con
# clientes buenos.

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
# **Ejercicio 2: escribe una comprobación por segmento.** Otro candidato, B, se entrenó con un extracto que tiene un
# error distinto en un paso anterior. Pasa la puerta del laboratorio (regiones y tipos de contrato):

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
# Busca en esta tabla el segmento en el que B queda por detrás del modelo actual y, luego, escribe una especificación de
# segmento que bloquee a B sin bloquear al buen candidato A. Una especificación de segmento es un diccionario:
# `{"column": ..., "value": ...}` para un segmento o `{"column": ...}` para cada valor de una columna.

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
# **Ejercicio 3: escribe una regla de validación de datos.** Esta vez escribes código, y unas pruebas ocultas lo
# comprueban. El ejercicio 1 era una sola regla; una canalización comprueba cada lote con todo el **contrato de
# datos**, las promesas escritas en `mlops_lab.data`:
#
# - están todas las columnas de `data.FEATURES` (las columnas de más no son un problema);
# - cada número está dentro de su rango en `data.VALID_RANGES`, ambos extremos incluidos;
# - cada categoría es una de las de `data.CATEGORIES`;
# - no falta ningún valor de característica (NaN o `None`);
# - el lote no está vacío: una exportación vacía también es un fallo.
#
# Completa `validate_batch(batch)`: devuelve una lista de problemas, como texto, y una lista vacía para un lote bueno.
# El punto de partida solo comprueba los rangos. La celda siguiente ejecuta pruebas que no ves, casos límite incluidos,
# y nombra cada situación en la que tu regla se equivoca; luego muestra qué dice tu regla de los meses limpios y los
# lotes defectuosos de este cuaderno. Tu código se guarda con tu progreso.


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
# ## 5. DevOps frente a MLOps: las cinco áreas en las que el ML difiere
#
# La guía de MLOps de Google Cloud nombra cinco áreas en las que un sistema de ML difiere del software corriente. Cada
# fila de la tabla siguiente se completa con lo que mostró este cuaderno.

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
# ## 6. Cuestionario
#
# Elige una respuesta y presiona **Comprobar** en cada pregunta. Dos preguntas tratan sobre cifras del laboratorio de este
# cuaderno: vuelve a mirar los resultados de arriba.

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
# ## 7. Resumen
#
# - La CI/CD de DevOps compila, prueba y lanza código automáticamente; la entrega continua deja el lanzamiento en manos
#   de una persona, y el despliegue continuo no.
# - Un sistema de ML puede empeorar mientras su código y sus pruebas siguen igual, porque los datos cambian.
# - MLOps añade la validación de datos (el sesgo de esquema detiene la canalización; el sesgo de valores activa un nuevo
#   entrenamiento), la validación del modelo (superar al modelo actual y a una regla de referencia, en general y en
#   cada segmento) y el entrenamiento continuo (ambas se ejecutan automáticamente cuando llegan datos nuevos).
# - Compilar el modelo (su código y su canalización) es CI/CD, y lo inician los cambios de código; el entrenamiento
#   continuo vuelve a ejecutar la canalización entregada cuando los datos o un activador lo piden.
# - Juzga un modelo con meses que nunca vio: su puntuación en sus propios meses de entrenamiento no demuestra nada sobre
#   datos nuevos.
#
# **En Google Cloud.** **Cloud Build** ejecuta la parte de CI/CD (compilar, pruebas de unidades, desplegar la
# canalización). **Vertex AI Pipelines** (en la documentación actual, *Agent Platform Pipelines*, parte de Gemini
# Enterprise Agent Platform) ejecuta la canalización de entrenamiento que activa el CT, con pasos de validación de datos
# (TensorFlow Data Validation infiere un esquema y detecta sesgo y deriva, como aquí pandera y nuestras
# estadísticas) y un paso de evaluación del modelo; **Vertex AI Model Evaluation** informa métricas por versión del
# modelo, también por segmentos de datos, y **Vertex AI Model Registry** guarda las versiones que promueve la puerta. En
# producción, **Vertex AI Model Monitoring** vigila los datos de servicio en busca de sesgo y deriva, la señal que
# inicia el siguiente entrenamiento.
#
# **Lecturas recomendadas.** [*MLOps: Canalizaciones de automatización y entrega continua en el aprendizaje automático*](https://cloud.google.com/architecture/mlops-continuous-delivery-and-automation-pipelines-in-machine-learning?hl=es),
# de Google Cloud: lee "DevOps versus MLOps" y encuentra las cinco áreas de la sección 5; luego, las oraciones que
# definen CI, CD y CT; pregúntate, para cada actividad, qué la inicia. Los términos están en el
# [glosario](GLOSARIO.md); la lista de lecturas completa está en [LECTURAS.md](LECTURAS.md).

# %%
print(scorecard("02_devops_vs_mlops", workspace=workspace, language=language))
