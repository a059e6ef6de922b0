"""The function library's registry: each AMPscript function by name, and the ones refused.

Modules of implementations (``functions``, ``data_functions``) register with ``@function``;
the compiler looks names up in ``FUNCTIONS`` once per call site.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sendwell.domain.ampscript.runtime import Context
from sendwell.domain.ampscript.values import Value


@dataclass(frozen=True)
class Function:
    name: str  # as documented
    minimum: int
    maximum: int | None  # None: any number
    run: Callable[[Context, Sequence], Value]
    lazy: bool = False  # ``run`` gets argument thunks, evaluates only what it needs
    arity_rule: Callable[[int], str | None] | None = None


FUNCTIONS: dict[str, Function] = {}
# Known functions that Sendwell refuses to run: content has no network or write access.
REFUSED = {
    name.lower(): reason
    for reason, names in (
        (
            "makes a network request, which Sendwell content may not do",
            "HTTPGet HTTPPost HTTPPost2 HTTPRequestHeader BeginImpressionRegion GetPortfolioItem",
        ),
        (
            "changes data extensions, which Sendwell content may not do",
            "InsertDE UpdateDE UpsertDE DeleteDE InsertData UpdateData UpsertData DeleteData "
            "ClaimRow ClaimRowValue UpsertContact CreateSalesforceObject "
            "UpdateSingleSalesforceObject",
        ),
        (
            "is not supported by Sendwell",
            "TreatAsContent TreatAsContentArea ContentArea ContentAreaByName ContentBlockByKey "
            "ContentBlockByID ContentBlockByName ContentImageByKey ContentImageByID "
            "BuildRowsetFromString BuildRowsetFromXML BuildRowsetFromJSON InvokeCreate "
            "InvokeRetrieve InvokeUpdate InvokeDelete InvokePerform InvokeExecute AttachFile",
        ),
    )
    for name in names.split()
}


def function(name: str, minimum: int, maximum: int | None = -1, **options: object) -> Callable:
    """Register the decorated implementation under ``name`` (maximum -1: same as minimum)."""

    def register(run: Callable) -> Callable:
        top = minimum if maximum == -1 else maximum
        FUNCTIONS[name.lower()] = Function(name, minimum, top, run, **options)  # type: ignore[arg-type]
        return run

    return register
