"""Runtime patches that close the gaps between moto 5.2.5 and Terraform's AWS provider.

Every module in this package fixes exactly one gap and exposes ``apply()``;
its docstring says what moto gets wrong, which Terraform symptom that causes
and what the patch does.  The module name is the patch name, so a patch can
be switched off by name (``--disable-patch NAME`` or
``INFRA_EMULATOR_DISABLE_PATCHES=name1,name2``), which the tests use to prove
that each gap still exists upstream.

Patches must be applied in the server process before the first request is
served: several of them add operations to moto's response classes or URL maps,
which moto reads when it builds a service's Flask app on first use.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from types import ModuleType

PatchFn = Callable[[], None]


# Names are found without importing the modules: importing one imports moto,
# which must only happen in the server process after its settings are in place.
PATCH_NAMES: tuple[str, ...] = tuple(
    sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
)


_applied: set[str] = set()  # a patch wraps moto's methods, so it must run only once per process


def _module(name: str) -> ModuleType:
    if name not in PATCH_NAMES:
        raise ValueError(f"unknown emulator patch: {name}")
    return importlib.import_module(f"{__name__}.{name}")


def load_patches() -> dict[str, PatchFn]:
    """``{name: apply_fn}`` for every patch (imports moto)."""
    return {name: _module(name).apply for name in PATCH_NAMES}


def describe(name: str) -> str:
    """First line of a patch's docstring: a one-line summary of the gap it closes."""
    return (_module(name).__doc__ or "").strip().splitlines()[0]


def apply_patches(disabled: Iterable[str] = ()) -> list[str]:
    """Apply every patch except ``disabled``; return the names applied, in order.

    An unknown name in ``disabled`` raises ``ValueError`` so that a typo cannot
    silently leave a patch switched on.
    """
    disabled = {name for name in disabled if name}
    unknown = sorted(disabled - set(PATCH_NAMES))
    if unknown:
        raise ValueError(f"unknown emulator patch(es): {', '.join(unknown)}; known: {', '.join(PATCH_NAMES)}")
    applied = []
    for name in PATCH_NAMES:
        if name not in disabled:
            if name not in _applied:
                _module(name).apply()
                _applied.add(name)
            applied.append(name)
    return applied
