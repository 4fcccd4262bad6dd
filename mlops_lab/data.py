"""Data extraction: a seeded, synthetic customer-churn dataset for a subscription business.

Every lab trains on the same story: a telecom-style subscription service snapshots its
customers once a month and wants to predict who will cancel (``churned``). The generator
is vectorised numpy (tens of thousands of rows in milliseconds) and fully determined by
its arguments: same seed, same bytes.

Knobs make the MLOps problems visible:

* ``covariate_drift``: from ``covariate_drift_start`` on, the customer mix shifts
  gradually (higher prices, more month-to-month contracts, more support calls);
* ``concept_drift``: from ``concept_drift_month`` on, the relationship between features
  and churn changes suddenly (customers become much more price sensitive);
* :func:`inject_faults`: data-quality incidents (missing values, out-of-range values, an
  unseen category, a renamed or a missing column).

:class:`DataSettings` declares these knobs once (names, types, defaults, limits). The
generator takes it, and everything else that makes data (the pipeline's parameters, the
maturity scenario, a tracking recipe, the Kubeflow pipeline's signature) builds one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from mlops_lab.i18n import translate

if TYPE_CHECKING:
    import pandas as pd


NUMERIC_FEATURES: tuple[str, ...] = (
    "tenure_months",
    "monthly_charges",
    "support_calls",
    "data_usage_gb",
)
CATEGORICAL_FEATURES: tuple[str, ...] = ("contract", "payment_method", "region")
FEATURES: tuple[str, ...] = NUMERIC_FEATURES + CATEGORICAL_FEATURES
TARGET = "churned"
TIME_COLUMN = "month"
ID_COLUMN = "customer_id"

CATEGORIES: dict[str, tuple[str, ...]] = {
    "contract": ("month-to-month", "one-year", "two-year"),
    "payment_method": ("card", "bank-transfer", "e-check", "mailed-check"),
    "region": ("north", "south", "east", "west"),
}
# Valid ranges a data contract can promise; inject_faults plants values outside them.
VALID_RANGES: dict[str, tuple[float, float]] = {
    "tenure_months": (0, 72),
    "monthly_charges": (10.0, 200.0),
    "support_calls": (0, 30),
    "data_usage_gb": (0.0, 500.0),
}
FAULTS: tuple[str, ...] = (
    "missing_values",
    "out_of_range",
    "unseen_category",
    "renamed_column",
    "missing_column",
)


@dataclass(frozen=True)
class DataSettings:
    """What the churn data generator can be asked for: the one declaration of the data knobs.

    ``covariate_drift`` (0 = none, 1 = strong) ramps in linearly over the six months
    after ``covariate_drift_start``; ``concept_drift`` (0 = none, 1 = strong) switches on
    at ``concept_drift_month``. Months are numbered from 0; the ``month`` column holds
    the first day of each month from ``start``.
    """

    n_months: int = 12
    customers_per_month: int = 1000
    seed: int = 0
    covariate_drift: float = 0.0
    covariate_drift_start: int = 6
    concept_drift: float = 0.0
    concept_drift_month: int = 9
    start: str = "2025-01"

    def __post_init__(self) -> None:
        if self.n_months < 1 or self.customers_per_month < 1:
            raise ValueError("n_months and customers_per_month must be at least 1")

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def pick(cls, values: Any) -> dict[str, Any]:
        """The data knobs among the fields or attributes of ``values`` (a dataclass such as a scenario)."""
        return {name: getattr(values, name) for name in cls.field_names() if hasattr(values, name)}


def make_customers(settings: DataSettings | None = None, /, **knobs: Any) -> pd.DataFrame:
    """Generate ``n_months`` monthly snapshots of ``customers_per_month`` customers each.

    ``settings`` (default :class:`DataSettings`) says what to generate; keyword arguments
    change single knobs of it: ``make_customers(n_months=3, seed=7)``.
    """
    unknown = sorted(set(knobs) - set(DataSettings.field_names()))
    if unknown:
        raise TypeError(f"make_customers() has no knob {unknown}; the knobs are {list(DataSettings.field_names())}")
    chosen = replace(settings or DataSettings(), **knobs)
    n_months, customers_per_month, seed = chosen.n_months, chosen.customers_per_month, chosen.seed
    covariate_drift, covariate_drift_start = chosen.covariate_drift, chosen.covariate_drift_start
    concept_drift, concept_drift_month, start = chosen.concept_drift, chosen.concept_drift_month, chosen.start
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = n_months * customers_per_month
    month_index = np.repeat(np.arange(n_months), customers_per_month)
    ramp = np.clip((month_index - covariate_drift_start + 1) / 6.0, 0.0, 1.0)
    shift = covariate_drift * ramp

    contract_p = np.array([0.50, 0.30, 0.20])
    contract_u = rng.random(n)
    # Drift moves probability mass from long contracts to month-to-month.
    p_m2m = contract_p[0] + 0.30 * shift
    p_one = contract_p[1] - 0.15 * shift
    contract_idx = np.where(contract_u < p_m2m, 0, np.where(contract_u < p_m2m + p_one, 1, 2))
    payment_idx = rng.choice(4, size=n, p=[0.35, 0.25, 0.25, 0.15])
    region_idx = rng.choice(4, size=n, p=[0.25, 0.25, 0.30, 0.20])

    tenure = np.minimum(rng.gamma(2.0, 9.0, n) + 6.0 * contract_idx, 72).astype(int)
    charges = np.clip(rng.normal(65.0 + 25.0 * shift, 18.0, n), 18.0, 160.0).round(2)
    support = rng.poisson(1.2 + 1.5 * shift)
    usage = np.clip(rng.lognormal(3.0, 0.6, n), 0.1, 400.0).round(1)

    concept = concept_drift * (month_index >= concept_drift_month)
    logit = (
        -1.0
        + 1.4 * (contract_idx == 0)
        - 0.8 * (contract_idx == 2)
        - 0.045 * tenure
        + (0.020 + 0.040 * concept) * (charges - 65.0)
        + 0.35 * support
        + 0.5 * (payment_idx == 2)
        - 0.004 * usage
        + 0.4 * concept
    )
    churned = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(int)

    months = pd.period_range(start=start, periods=n_months, freq="M").to_timestamp()
    frame = pd.DataFrame(
        {
            ID_COLUMN: [
                f"C{m:02d}-{i:05d}"
                for m, i in zip(month_index, np.tile(np.arange(customers_per_month), n_months), strict=True)
            ],
            TIME_COLUMN: months[month_index],
            "tenure_months": tenure,
            "monthly_charges": charges,
            "support_calls": support,
            "data_usage_gb": usage,
            "contract": pd.Categorical.from_codes(contract_idx, CATEGORIES["contract"]).astype(str),
            "payment_method": pd.Categorical.from_codes(payment_idx, CATEGORIES["payment_method"]).astype(str),
            "region": pd.Categorical.from_codes(region_idx, CATEGORIES["region"]).astype(str),
            TARGET: churned,
        }
    )
    return frame


def summary(frame: pd.DataFrame, *, language: str = "en") -> str:
    """One line about a customer table in ``language``: its size and the months it covers.

    ``"12000 rows x 10 columns, months 2025-01 to 2025-12"``.
    """
    months = frame[TIME_COLUMN]
    return translate(
        "{rows} rows x {columns} columns, months {first} to {last}",
        language=language,
        rows=frame.shape[0],
        columns=frame.shape[1],
        first=f"{months.min():%Y-%m}",
        last=f"{months.max():%Y-%m}",
    )


def monthly_batches(frame: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield ``("2025-01", batch)`` pairs in time order, one per month."""
    for month, batch in frame.groupby(TIME_COLUMN, sort=True):
        yield month.strftime("%Y-%m"), batch.reset_index(drop=True)


def split_by_month(frame: pd.DataFrame, *, train_months: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split on time, never at random: the first ``train_months`` months train, the rest test.

    A time split is what production looks like: the model always predicts a future it
    has not seen.
    """
    months = sorted(frame[TIME_COLUMN].unique())
    if not 0 < train_months < len(months):
        raise ValueError(f"train_months must be between 1 and {len(months) - 1}, got {train_months}")
    cutoff = months[train_months]
    train = frame[frame[TIME_COLUMN] < cutoff].reset_index(drop=True)
    test = frame[frame[TIME_COLUMN] >= cutoff].reset_index(drop=True)
    return train, test


def inject_faults(
    frame: pd.DataFrame, *, faults: list[str] | tuple[str, ...], rate: float = 0.05, seed: int = 0
) -> pd.DataFrame:
    """Return a copy of ``frame`` with data-quality faults planted in it.

    ``faults`` names any of :data:`FAULTS`. ``rate`` is the share of rows hit by the
    row-level faults (missing values, out-of-range values, unseen category).
    """
    import numpy as np

    unknown = sorted(set(faults) - set(FAULTS))
    if unknown:
        raise ValueError(f"unknown fault(s) {unknown}; choose from {list(FAULTS)}")
    rng = np.random.default_rng(seed)
    faulty = frame.copy()
    n_hit = max(1, int(round(rate * len(faulty))))

    def rows() -> np.ndarray:
        return rng.choice(len(faulty), size=n_hit, replace=False)

    if "missing_values" in faults:
        faulty["monthly_charges"] = faulty["monthly_charges"].astype(float)
        faulty.loc[rows(), "monthly_charges"] = np.nan
    if "out_of_range" in faults:
        faulty.loc[rows(), "tenure_months"] = -1
    if "unseen_category" in faults:
        faulty.loc[rows(), "contract"] = "three-year"
    if "renamed_column" in faults:
        faulty = faulty.rename(columns={"support_calls": "support_tickets"})
    if "missing_column" in faults:
        faulty = faulty.drop(columns=["data_usage_gb"])
    return faulty


def fingerprint(frame: pd.DataFrame) -> str:
    """A short content hash of a data frame: the same data always gives the same fingerprint.

    Recording it with a run answers "which data trained this model?" later on.
    """
    import pandas as pd

    row_hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    digest = hashlib.sha256(row_hashes.tobytes())
    digest.update(",".join(map(str, frame.columns)).encode())
    return digest.hexdigest()[:12]
