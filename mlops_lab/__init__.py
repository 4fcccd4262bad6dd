"""MLOps Lab: the helper package behind the workbook's notebooks.

One module per MLOps concept, in the order of the ML lifecycle:
``data`` (a seeded churn dataset with drift and faults), ``training`` (models and
metrics), ``tracking``, ``validation``, ``pipeline``, ``monitoring``, ``serving``,
``maturity``; the learning tools ``quiz``, ``exercises`` and ``progress``; and the
instructor tools ``batch``, ``grading``, ``report`` and ``cli``.

Importing the package is instant: every module imports its heavy libraries
inside the functions that need them.
"""

__version__ = "0.1.0"
