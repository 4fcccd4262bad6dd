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
# # 00 · Empieza aquí: cómo funciona MLOps Lab
#
# MLOps es la disciplina de desplegar, probar, supervisar y automatizar sistemas de aprendizaje automático (ML)
# en producción. Este taller lo enseña tal como lo presenta el curso de Google Cloud *Machine Learning Operations
# (MLOps): Getting Started*, pero cada idea es un laboratorio que se ejecuta en tu portátil: sin conexión, gratis y
# repetible.
#
# **Objetivos de aprendizaje.** Al terminar este cuaderno, podrás:
# 1. comprobar que tu entorno está completo y arreglarlo si no lo está;
# 2. describir los tres tipos de actividad de cada cuaderno: laboratorios, ejercicios "Tu turno" y cuestionarios;
# 3. explicar por qué y cuándo aplicar MLOps, quién hace qué en un equipo de ML y qué hace difícil la ingeniería
#    de ML;
# 4. generar el conjunto de datos de abandono de clientes del taller y dividirlo por tiempo;
# 5. orientarte en el mapa del curso.
#
# Cada término se define donde aparece por primera vez y otra vez en el [glosario](GLOSARIO.md) del taller; la
# [lista de lecturas](LECTURAS.md) del curso dice qué buscar en cada lectura. En esta edición,
# los textos, los cuestionarios, los comentarios de los ejercicios y lo que imprime el código (tablas, mensajes,
# gráficos) están en español. El código y sus comentarios siguen en inglés, igual que en la edición original, y los
# nombres que el código usa no cambian: las columnas (`month`, `churned`), los valores de los datos
# (`month-to-month`) y los nombres de métricas (`roc_auc`).
#
# La primera celda de código reúne los ajustes que puedes cambiar: `seed`, la semilla de la que sale cada número
# aleatorio (otra semilla da otros clientes, y las lecciones valen para cualquiera); `workspace`, la carpeta de tu
# progreso, tus ejecuciones y tus modelos (`None`: `./workspace`); `language`, el idioma de los cuestionarios, de
# los comentarios y de la tarjeta de puntuación (`"es"` o `"en"`); y `mode`, `"full"` o `"smoke"` (una ejecución
# más rápida con menos datos). Deja vacíos `quiz_answers` y `solutions`: respondes con los botones **Comprobar** y
# en las celdas "Tu turno".

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
# ## 1. Comprueba tu entorno
#
# El taller fija cada biblioteca a una versión exacta (`requirements.lock`), porque la deriva de dependencias es lo
# que rompe la mayoría de los cuadernos de un curso un año después de escribirse. La comprobación de abajo compara
# lo que está instalado con las versiones fijadas. Si algo dice FALTA u OTRA VERSIÓN, ejecuta `make install` en la
# carpeta del taller y reinicia el kernel.

# %%
check_environment(language=language)

# %% [markdown]
# ## 2. Cómo funciona cada cuaderno
#
# | parte | qué haces | qué obtienes |
# |---|---|---|
# | **Laboratorio** | ejecutas las celdas en orden; lees las tablas y los gráficos | la idea de MLOps hecha visible con datos reales (sintéticos) |
# | **Tu turno** | cambias el valor de la celda marcada *your turn* (tu turno), la ejecutas y ejecutas la siguiente | comentarios concretos, guardados en tu archivo de progreso |
# | **Cuestionario** | eliges una respuesta y pulsas *Comprobar* | comentarios al instante sobre cada opción, guardados en tu archivo de progreso |
#
# Tus respuestas se guardan en `progress.json`, en la carpeta de tu espacio de trabajo, así que sobreviven a un
# reinicio del kernel; `mlops-lab progress` imprime en una terminal tu puntuación por cuaderno.
#
# Todo usa una semilla: si ejecutas un cuaderno dos veces, obtienes los mismos números. Cambia la semilla (`seed`)
# en la primera celda de código para conocer a otros clientes; el texto nunca cita un número que solo produzca una
# semilla.
#
# ## 3. El mapa del curso
#
# | cuaderno | tema del curso | qué construyes |
# |---|---|---|
# | `00_start_here` | cómo funciona el taller | la comprobación del entorno, el conjunto de datos, tu primer cuestionario |
# | `01_pain_points` | los puntos débiles de quienes trabajan con ML | seguimiento de experimentos y un registro de modelos con MLflow |
# | `02_devops_vs_mlops` | DevOps frente a MLOps | una canalización de CI con validación de datos y una puerta de validación del modelo |
# | `03_ml_lifecycle` | el ciclo de vida del ML | una canalización de ML con caché y linaje, compilada para Vertex AI Pipelines |
# | `04_maturity_levels` | automatizar el proceso de ML | los niveles 0, 1 y 2, simulados durante un año de datos con deriva |
# | `05_vertex_ai` | MLOps en Vertex AI | almacén de características, ajuste al estilo de Vizier, registro, endpoint, supervisión |
#
# ## 4. Por qué MLOps, quién lo hace y por qué la ingeniería de ML es difícil
#
# ### 4.1 Por qué y cuándo aplicar MLOps
#
# Un modelo que funciona en un cuaderno es el principio del trabajo, no el final. En cuanto guía decisiones, hay que
# reconstruirlo cuando cambian los datos, comprobarlo antes de cada lanzamiento, vigilarlo en producción y
# explicarlo cuando alguien pregunta "¿qué datos produjeron este modelo?". Hecho a mano, cada uno de esos pasos es
# lento y fácil de hacer mal, así que los equipos lanzan pocas veces y descubren los problemas tarde. **MLOps**
# aplica los hábitos de DevOps (automatizar, probar, supervisar, lanzar en pasos pequeños) a los sistemas de ML,
# con dos objetivos que nombra el curso: **acortar el ciclo de desarrollo** (un modelo nuevo llega a producción en
# días, no en meses) y **mantener una calidad alta en producción** (cada modelo probado, supervisado y
# reproducible).
#
# ¿Cuándo? En cuanto un modelo tiene que seguir funcionando: alimenta una decisión que importa, los datos de los que
# aprende cambian con el tiempo, trabaja en él más de una persona o se va a volver a entrenar más de una vez. Un
# análisis puntual que nunca se despliega apenas lo necesita. La automatización que necesitas crece con la
# frecuencia con la que debe cambiar el modelo: el cuaderno 04 lo mide con los niveles de madurez de Google.
#
# ### 4.2 Quién hace qué
#
# El curso enumera las personas que reúne un sistema de ML. En los traspasos entre ellas nace el punto débil
# "colaborar" (cuaderno 01):
#
# | rol | qué hace | dónde haces tú ese papel en este taller |
# |---|---|---|
# | científico de datos | explora los datos, prueba características y modelos, y los evalúa | 01: la semana de nivel 0 y el barrido |
# | ingeniero de datos | crea las canalizaciones que llevan los datos al entrenamiento y al servicio, y mantiene su validez | 02: la validación de datos; 05: el almacén de características |
# | ingeniero de ML | convierte el experimento en una canalización probada y automatiza el reentrenamiento y el despliegue | 03: la canalización; 04: los niveles 1 y 2 |
# | desarrollador de aplicaciones | llama al modelo desde el producto a través de su API | 05: el endpoint HTTP y el esquema de sus solicitudes |
# | ingeniero de fiabilidad de sitios (SRE) | mantiene fiable el servicio: latencia, capacidad, alertas, incidentes | 05: la división del tráfico, las alertas de supervisión |
# | analista de negocio | define las medidas que importan y lee los resultados | 01: el costo de negocio que elige el mejor modelo |
# | usuario de negocio | actúa según las predicciones (aquí, el equipo de retención) y juzga si ayudan | 02: el segmento al que un candidato sirve mal |
#
# ### 4.3 Qué hace difícil la ingeniería de ML
#
# *Hidden Technical Debt in Machine Learning Systems* (Sculley et al., 2015) hizo dos observaciones que el curso
# repite:
#
# - **El código de ML es una parte pequeña de un sistema de ML.** Alrededor del modelo están la configuración, la
#   recogida de datos, la extracción de características, la verificación de datos, los recursos de máquina, la
#   infraestructura de servicio y la supervisión, que contienen la mayor parte del código y de los fallos.
# - **Los sistemas de ML acumulan deuda técnica oculta**: costos que no se ven al lanzar, pero que crecen después.
#   - El *entrelazamiento*, o **CACE** ("changing anything changes everything", cambiar cualquier cosa lo cambia
#     todo): si cambias la escala de una característica o un ajuste, el modelo usa todas las demás características
#     de otra manera. Ningún cambio es local.
#   - **Dependencias de datos**: una tabla de origen cambia de significado o de formato y el modelo aprende, sin
#     avisar, de otra cosa. Las dependencias de código las comprueban los compiladores y las pruebas; las de datos,
#     a menudo nadie (el cuaderno 02 añade esas comprobaciones).
#   - **Bucles de retroalimentación**: las predicciones del modelo cambian los datos de los que aprenderá después
#     (los clientes que recibieron una oferta de retención se quedan, así que el siguiente modelo aprende que nunca
#     estuvieron en riesgo).
#   - **Selvas de canalizaciones**: una preparación de datos que creció a base de extracciones, uniones y archivos
#     intermedios hasta que nadie puede seguirla (el cuaderno 03 la sustituye por una canalización declarada).
#
# Los sistemas de ML también se diferencian del software corriente en cómo se construyen (con experimentos, no con
# especificaciones), cómo se prueban (datos y modelos, no solo código) y cómo funcionan (los modelos se degradan a
# medida que cambia el mundo): el cuaderno 02 repasa esas diferencias una a una.
#
# ### 4.4 Las tres preguntas del curso y dónde las responde el taller
#
# | pregunta | respuesta breve | dónde se responde |
# |---|---|---|
# | *¿Por qué es necesario MLOps?* | Un modelo es una instantánea de sus datos: se degrada en silencio mientras su código y sus pruebas siguen en verde, la mayor parte del sistema que lo rodea no es código de ML y, sin registros compartidos, se pierden versiones, experimentos y personas. | esta sección; 01 (los puntos débiles); 02, sección 2 (un modelo se degrada mientras pasan todas las pruebas) |
# | *¿Para qué sirve MLOps?* | Para lanzar modelos a menudo y mantenerlos buenos: registrar cada ejecución, validar datos y modelos, reentrenar automáticamente, supervisar la producción y saber qué produjo qué. | 01 (seguimiento, registro); 02 (CI, CD y entrenamiento continuo); 03 (canalizaciones y linaje); 04 (niveles de madurez) |
# | *¿Cómo se aplica en el ecosistema de Google Cloud?* | Con Vertex AI, que ahora forma parte de Gemini Enterprise Agent Platform: Workbench, Pipelines, Experiments, ML Metadata, Model Registry, Feature Store, Endpoints, Model Monitoring y Explainable AI en una sola plataforma. | la tabla "En Google Cloud" al final de cada cuaderno; todo el 05, incluidos los nombres actuales de los productos |

# %% [markdown]
# ## 5. Laboratorio: conoce los datos
#
# Todos los laboratorios usan un mismo negocio: un servicio de suscripción que toma una instantánea de sus clientes
# una vez al mes y quiere predecir quién se dará de baja (`churned`, abandono). Los datos se generan a partir de una
# semilla, así que nunca hace falta descargar nada. Las características numéricas (antigüedad, cargos, llamadas al
# servicio de asistencia, uso de datos) y las categóricas (contrato, forma de pago, región) permiten que los
# laboratorios posteriores midan la deriva con las mismas métricas que usa Vertex AI Model Monitoring.
#
# La celda siguiente imprime el tamaño de la tabla (filas x columnas) y el rango de meses, y muestra sus primeras
# filas.

# %%
n_months = 6 if mode == "smoke" else 12
customers = data.make_customers(n_months=n_months, seed=seed)
print(data.summary(customers, language=language))
customers.head()

# %% [markdown]
# El generador tiene controles para lo que falla en producción. Aquí está la tasa de abandono mensual de un año
# tranquilo junto a la de un año con deriva: un cambio en la composición de los clientes a partir de julio, y un
# cambio repentino en lo que hace que los clientes se vayan a partir de octubre. Los cuadernos posteriores detectan
# y gestionan ambos. En el gráfico, el eje vertical es la proporción de clientes que se dieron de baja cada mes.

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
# ## 6. Tu turno
#
# **Ejercicio 1.** Un modelo se debe probar con meses que nunca ha visto. `data.split_by_month` entrena con los
# primeros `train_months` meses y prueba con el resto. Elige `train_months` de forma que el modelo se pruebe con el
# **último trimestre** (tres meses) del año. Cambia el valor y ejecuta la celda.
#
# Debajo de cada ejercicio verás CORRECTO o INTÉNTALO DE NUEVO, seguido de lo que dice la comprobación sobre tu
# valor.

# %%
train_months = 6  # your turn: change this value

# %%
train_months = your_turn.submit(
    "train-months",
    train_months,
    check=lambda value: exercise_checks.check_time_split(value, frame=customers, test_months=3, language=language),
)

# %% [markdown]
# **Ejercicio 2.** Los clientes con contrato mensual pueden irse en cualquier momento. Calcula la proporción de
# ellos que se dieron de baja, como una fracción entre 0 y 1. El valor por defecto de abajo calcula la tasa de
# abandono de *todos* los clientes: restríngelo a `contract == "month-to-month"`.

# %%
m2m_churn_rate = customers["churned"].mean()  # your turn: only month-to-month customers

# %%
m2m_churn_rate = your_turn.submit(
    "m2m-churn-rate",
    m2m_churn_rate,
    check=lambda value: exercise_checks.check_segment_churn_rate(value, frame=customers, language=language),
)

# %% [markdown]
# ## 7. Cuestionario
#
# Elige una respuesta y pulsa **Comprobar** en cada pregunta. Una pregunta te pide calcular un número a partir del
# laboratorio de este cuaderno: las salidas de arriba tienen lo que necesitas.

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
# ## 8. Resumen
#
# - Todo lo que necesitas se ejecuta en local y sin conexión; `check_environment()` te dice lo que falta.
# - Los laboratorios muestran una idea, las celdas "Tu turno" te permiten probarla y los cuestionarios la
#   comprueban; todos los resultados van a tu archivo de progreso.
# - El conjunto de datos de abandono se genera a partir de una semilla y puede derivar o romperse cuando se le pide.
# - MLOps acorta el camino de la idea a la producción y mantiene buenos los modelos una vez allí. Reúne a
#   científicos de datos, ingenieros de datos, ingenieros de ML, desarrolladores de aplicaciones, SRE, analistas de
#   negocio y usuarios de negocio en torno a un sistema en el que el código de ML es la parte más pequeña, y en el
#   que la deuda oculta (entrelazamiento, dependencias de datos, bucles de retroalimentación, selvas de
#   canalizaciones) crece a menos que alguien la pague.
#
# **Para saber más.** [*Hidden Technical Debt in Machine Learning Systems*](https://papers.nips.cc/paper_files/paper/2015/hash/86df7dcfd896fcaf2674f757a2463eba-Abstract.html)
# (Sculley et al., NeurIPS 2015, en inglés): mira la figura en la que el código de ML es una caja pequeña entre
# otras grandes y, después, busca cada deuda de la sección 4.3 y el ejemplo que da el artículo. La lista de
# lecturas completa está en [LECTURAS.md](LECTURAS.md).
#
# **En Google Cloud.** El JupyterLab que estás usando es lo que **Vertex AI Workbench** ofrece como servicio
# gestionado: un entorno de cuadernos junto a los datos y al resto de Vertex AI. El conjunto de datos vendría de
# **BigQuery**, como en el laboratorio del curso sobre el valor del ciclo de vida del cliente.

# %%
print(scorecard("00_start_here", workspace=workspace, language=language))
