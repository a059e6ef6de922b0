"""suds objects as JSON-able values, for the client scripts' result lines."""

from __future__ import annotations

from typing import Any


def plain(value: Any) -> Any:
    """A suds object (or list of them) as JSON-able dicts and lists."""
    from suds.sudsobject import Object, asdict

    if isinstance(value, Object):
        return {k: plain(v) for k, v in asdict(value).items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def outcome(response: Any) -> dict[str, Any]:
    """What a FuelSDK call object says: status, HTTP code, message and its results."""
    return {
        "status": response.status,
        "code": response.code,
        "message": response.message,
        "results": plain(response.results or []),
    }
