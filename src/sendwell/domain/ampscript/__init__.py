"""AMPscript: the part of Marketing Cloud's content language that email content uses.

``compile_content`` parses and checks content once (syntax, function names, argument counts);
``Program.run`` executes it per recipient in a ``Context`` against a ``RenderEnvironment``.
No I/O: data extensions are read through the environment's ``DataSource``. How the parts of
one email render together is ``sendwell.domain.content``.
"""

from __future__ import annotations

# The function modules register themselves with ``registry.FUNCTIONS`` when imported: the package
# imports them, so whichever module of it is asked for, every function is known.
from sendwell.domain.ampscript import (  # noqa: F401
    api_functions,
    content_functions,
    data_functions,
    data_writes,
    encoding_functions,
    functions,
    http_functions,
    rowset_functions,
    salesforce_functions,
    string_functions,
    utility_functions,
)
from sendwell.domain.ampscript.compile import Program, ScriptedTemplate, compile_content
from sendwell.domain.ampscript.errors import AmpscriptError, RecipientSkipped
from sendwell.domain.ampscript.runtime import (
    DEFAULT_ENVIRONMENT,
    Context,
    DataSource,
    RenderEnvironment,
)

__all__ = [
    "DEFAULT_ENVIRONMENT",
    "AmpscriptError",
    "Context",
    "DataSource",
    "Program",
    "RecipientSkipped",
    "RenderEnvironment",
    "ScriptedTemplate",
    "compile_content",
]
