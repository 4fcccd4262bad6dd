"""Model files: saving and loading skops files safely, and a fingerprint that names a model on any machine.

Every ``.skops`` file the workbook writes or reads goes through this module:

- :func:`save_model` writes a fitted model with skops (never pickle), byte for byte the same for the same
  model in the same environment;
- :func:`load_model` refuses, before anything in the file runs, any type outside :data:`TRUSTED_TYPES`
  (this module's own allow-list, not one stored next to the file, which an attacker could edit) and raises
  :class:`UntrustedModelError`;
- :func:`refusal_message` says why a file was refused, in the learner's language;
- :func:`fingerprint` hashes the model's parameters rounded to :data:`FINGERPRINT_DIGITS` significant digits.

Why a fingerprint beside the file's hash: training does floating-point arithmetic, and different processors
(and the different math-library kernels chosen for them) round the last bits of a result differently. The
same seed and data then give coefficients that agree to about 14 digits, but not to the last bit, so the
file's bytes and its SHA-256 differ from one machine to the next. Rounded to 6 significant digits of the
largest value in each array, the parameters are the same everywhere, and so is the fingerprint; a real change
of the model (another hyperparameter, other data) changes them far more than that.
"""

from __future__ import annotations

import hashlib
import json
import os
import types
from pathlib import Path
from typing import Any

from mlops_lab.errors import UntrustedModelError
from mlops_lab.i18n import translate

# The only types a model file may contain beyond skops' built-in safe list: the tree
# storage of random forests and gradient boosting, and numpy dtypes (OneHotEncoder's dtype).
TRUSTED_TYPES: tuple[str, ...] = ("numpy.dtype", "sklearn.tree._tree.Tree")
# Significant digits kept by the fingerprint: far above last-bit noise (about 1e-14 relative), far below
# any change a learner makes on purpose.
FINGERPRINT_DIGITS = 6
# A zip entry's timestamp would change the file's hash on every save; all entries get this one.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def save_model(model: Any, path: str | os.PathLike[str]) -> None:
    """Save a fitted model with skops (never pickle), byte for byte the same for the same model.

    skops names objects by their memory address (``id()``) and stamps zip entries with the
    time; both change from one process to the next, so the same model would get a new hash
    each time. The addresses become 1, 2, 3... in order of appearance and the timestamps a
    constant, which keeps the file loadable and its content hash meaningful on one machine.
    """
    import io
    import re
    import zipfile

    import skops.io as sio

    with zipfile.ZipFile(io.BytesIO(sio.dumps(model))) as source:
        schema = source.read("schema.json").decode("utf-8")
        numbering: dict[str, str] = {}
        for address in re.findall(r'"__id__": (\d+)', schema):
            numbering.setdefault(address, str(len(numbering) + 1))
        schema = re.sub(
            r'("__id__": |"file": ")(\d+)', lambda m: m.group(1) + numbering.get(m.group(2), m.group(2)), schema
        )
        entries = {"schema.json": schema.encode("utf-8")}
        for name in source.namelist():
            if name != "schema.json":
                stem, _, suffix = name.partition(".")
                entries[f"{numbering.get(stem, stem)}.{suffix}"] = source.read(name)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as target:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, entries[name])
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(packed.getvalue())


def load_model(path: str | os.PathLike[str], *, trusted: tuple[str, ...] = TRUSTED_TYPES) -> Any:
    """Load a ``.skops`` model file, refusing any type outside scikit-learn's and ``trusted`` before anything runs.

    skops reads the file's description of its objects and checks every type in it against the
    allow-list before it builds any object; only a refused file is read a second time, to name the
    types it was refused for (a forest's file is read once: 0.07 s less than checking it first).
    """
    import skops.io
    from skops.io.exceptions import UntrustedTypesFoundException

    path = Path(path)
    try:
        return skops.io.load(path, trusted=list(trusted))
    except UntrustedTypesFoundException:
        untrusted = sorted(set(skops.io.get_untrusted_types(file=path)) - set(trusted))
        raise UntrustedModelError(
            _untrusted_types_message(str(path), untrusted, language="en"), path=str(path), untrusted=tuple(untrusted)
        ) from None
    except Exception as exc:
        raise UntrustedModelError(f"{path}: not a readable skops model file ({type(exc).__name__}: {exc})") from None


def _untrusted_types_message(path: str, untrusted: list[str] | tuple[str, ...], *, language: str) -> str:
    return translate(
        "{path}: refusing to load: it contains types outside the allow-list: {types}. Loading them could run code. "
        "If you know where this file comes from and have reviewed these types, pass them in trusted=(...).",
        language=language,
        path=path,
        types=", ".join(untrusted),
    )


def refusal_message(error: UntrustedModelError, *, language: str = "en") -> str:
    """Why :func:`load_model` refused a file, in ``language``: a refusal of untrusted types is translated;
    an unreadable file keeps its message, which quotes the reading library's own error."""
    if error.untrusted:
        return _untrusted_types_message(error.path, error.untrusted, language=language)
    return str(error)


def _rounded_array(values: Any, digits: int) -> dict[str, Any]:
    import numpy as np

    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    largest = float(np.abs(values[finite]).max()) if finite.any() else 0.0
    # One step per array (``digits`` significant digits of its largest value), so an entry that is 0 up to noise
    # (1e-17 on one machine, -3e-18 on another) rounds to 0 everywhere.
    exponent = int(np.floor(np.log10(largest))) - digits + 1 if largest > 0 else 0
    steps = np.zeros(values.shape, dtype=np.int64)
    steps[finite] = np.rint(values[finite] / 10.0**exponent).astype(np.int64)
    special = [str(v) for v in values[~finite].tolist()]
    return {"shape": list(values.shape), "exponent": exponent, "steps": steps.ravel().tolist(), "special": special}


def _canonical(value: Any, digits: int) -> Any:
    """A JSON-ready form of a fitted model's state, floats rounded; equal for models that predict alike."""
    import numpy as np

    if value is None or isinstance(value, (bool, int, str, np.bool_)):
        return value.item() if isinstance(value, np.bool_) else value
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _rounded_array([value], digits)
    if isinstance(value, np.ndarray):
        return _canonical_array(value, digits)
    if isinstance(value, (dict, list, tuple, set, frozenset, slice)):
        return _canonical_container(value, digits)
    if isinstance(value, np.dtype):
        return str(value)
    if isinstance(value, (type, types.FunctionType, types.BuiltinFunctionType)):
        return f"{value.__module__}.{value.__qualname__}"
    return _canonical_object(value, digits)


def _canonical_array(value: Any, digits: int) -> Any:
    if value.dtype.names:
        return {name: _canonical(value[name], digits) for name in value.dtype.names}
    if value.dtype.kind == "f":
        return _rounded_array(value, digits)
    if value.dtype.kind in "biu":
        return {"shape": list(value.shape), "values": value.ravel().tolist()}
    return [_canonical(v, digits) for v in value.ravel().tolist()]


def _canonical_container(value: Any, digits: int) -> Any:
    if isinstance(value, dict):
        return {str(k): _canonical(v, digits) for k, v in sorted(value.items(), key=lambda item: str(item[0]))}
    if isinstance(value, slice):
        return {"slice": [value.start, value.stop, value.step]}
    if isinstance(value, (set, frozenset)):
        # A set's iteration order can change from one process to the next (string hashing): sort it.
        return sorted((_canonical(v, digits) for v in value), key=json.dumps)
    return [_canonical(v, digits) for v in value]


def _canonical_object(value: Any, digits: int) -> dict[str, Any]:
    state = value.__getstate__() if hasattr(value, "__getstate__") else None
    if state is None and not hasattr(value, "__dict__"):
        # A compiled (Cython) object: its pickling recipe holds its constructor arguments and state.
        state = {"reduce": value.__reduce__()[1:]}
    elif not isinstance(state, dict):
        state = {"state": state} if state is not None else dict(vars(value))
    return {"class": f"{type(value).__module__}.{type(value).__qualname__}", "state": _canonical(state, digits)}


def fingerprint(model: Any, *, digits: int = FINGERPRINT_DIGITS) -> str:
    """The first 12 hex digits of the SHA-256 of the model's state, every float rounded to ``digits`` significant digits.

    Stable across processors and operating systems (unlike the file's bytes); it changes when a
    parameter changes by more than rounding noise.
    """
    payload = json.dumps(_canonical(model, digits), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


def file_fingerprint(path: str | os.PathLike[str]) -> str:
    """:func:`fingerprint` of the model in a ``.skops`` file (loaded through :func:`load_model`)."""
    return fingerprint(load_model(path))
