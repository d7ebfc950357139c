"""Make py_vollib_vectorized 0.1.1 importable under numba 0.68.

Its jitted code calls helpers that newer lets_be_rational releases moved into the plain-Python
packages `cody_special` and `piecewise_rational`; numba cannot call un-jitted Python functions.
We jit every function of those modules (in dependency order, rebinding the names other modules
imported) and switch on py_lets_be_rational's own jitting before importing py_vollib_vectorized.
Import this module first.
"""
import importlib
import os
import types

# py_lets_be_rational jits its own functions only when asked to
os.environ.setdefault("PY_LETS_BE_RATIONAL_ENABLE_NUMBA", "1")

import numba

MODULES = [
    "cody_special.erf_cody",
    "cody_special.normaldistribution",
    "cody_special",
    "piecewise_rational.rationalcubic",
    "piecewise_rational",
]


def _jit_module(mod, jitted):
    for name, obj in list(vars(mod).items()):
        if isinstance(obj, types.FunctionType) and obj.__module__.split(".")[0] in ("cody_special", "piecewise_rational"):
            key = (obj.__module__, obj.__name__)
            if key not in jitted:
                jitted[key] = numba.njit(cache=False)(obj)
            setattr(mod, name, jitted[key])


_jitted = {}
for _m in MODULES:
    _jit_module(importlib.import_module(_m), _jitted)
