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
    outputs: tuple[int, ...] = ()  # positions (0-based) of @variables the function sets
    sited: bool = False  # ``run`` gets the call's (line, column) before the arguments


class OutputVariable:
    """An argument the function writes to (``ContentBlockByName``'s status): a @variable."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def set(self, ctx: Context, value: Value) -> None:
        ctx.variables[self.name] = value


FUNCTIONS: dict[str, Function] = {}
# Marketing Cloud functions that Sendwell refuses when content is saved, and why. Each reason
# follows the function's name in the error ("HTTPGet makes a network request, …").
_REFUSALS = (
    (
        "works on landing pages (CloudPages) only, not in email",
        "Redirect HTTPRequestHeader BuildOptionList AuthenticatedEmployeeID "
        "AuthenticatedEmployeeNotificationAddress AuthenticatedEmployeeUserName "
        "AuthenticatedEnterpriseID AuthenticatedMemberID AuthenticatedMemberName",
    ),
    (
        "needs a Marketing Cloud service that Sendwell does not have (live content, portfolio "
        "and Content Builder images, barcodes, social publishing, attachments, Einstein, web "
        "analytics, JWT keys, filters, XSLT)",
        "LiveContentMicrositeURL GetPortfolioItem ContentImageByID "
        "ContentImageByKey Image BarcodeURL AttachFile GetSocialPublishURL "
        "GetSocialPublishURLByName GetPublishedSocialContent RatingStars WAT WATP "
        "TransformXML GetJWT GetJWTByKeyName ExecuteFilter ExecuteFilterOrderedRows "
        "RetrieveSalesforceJobSources GetValue SetValue",
    ),
    (
        "is not an operation of Sendwell's SOAP API (Create, Retrieve, Update, Delete, Perform)",
        "InvokeExecute",
    ),
    (
        "works on Microsoft Dynamics CRM, which Sendwell does not connect to",
        "AddMSCRMListMember CreateMSCRMRecord DescribeMSCRMEntities "
        "DescribeMSCRMEntityAttributes RetrieveMSCRMRecords RetrieveMSCRMRecordsFetchXML "
        "SetStateMSCRMRecord UpdateMSCRMRecords UpsertMSCRMRecord",
    ),
    (
        "works on MobileConnect (SMS) contacts and conversations, which Sendwell does not keep",
        "CreateSmsConversation EndSmsConversation SetSmsConversationNextKeyword UpsertContact",
    ),
)
REFUSED = {name.lower(): reason for reason, names in _REFUSALS for name in names.split()}


def function(name: str, minimum: int, maximum: int | None = -1, **options: object) -> Callable:
    """Register the decorated implementation under ``name`` (maximum -1: same as minimum)."""

    def register(run: Callable) -> Callable:
        top = minimum if maximum == -1 else maximum
        FUNCTIONS[name.lower()] = Function(name, minimum, top, run, **options)  # type: ignore[arg-type]
        return run

    return register
