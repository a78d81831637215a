"""Schemathesis (v4) over an app's own OpenAPI schema, in process, with a bounded number of cases.

For every operation, positive cases (valid per the schema) and negative ones (violating it) are sent
through the ASGI app; each answer must be no 5xx and carry only a status the schema documents.
Hypothesis is derandomised so CI runs the same cases every time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import status_code_conformance
from schemathesis.specs.openapi.schemas import OpenApiSchema


@dataclass(frozen=True)
class Finding:
    """An operation whose answers broke a check, with the first failure's text."""

    operation: str
    mode: str
    failure: str


@dataclass
class Report:
    """What a fuzz run found, and the statuses it saw (so a test can show the cases reached the app)."""

    findings: list[Finding] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    operations: int = 0

    def text(self) -> str:
        return "\n\n".join(f"{f.operation} [{f.mode}]\n{f.failure}" for f in self.findings)


Prepare = Callable[[Case], None]


def app_schema(app: FastAPI) -> OpenApiSchema:
    """The app's own schema, its cases sent to the app (`app.openapi()`: no app serves it unless told)."""
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.app = app
    return schema


def fuzz_app(
    app: FastAPI,
    *,
    examples: int,
    skip: frozenset[str] = frozenset(),
    prepare: Prepare | None = None,
    modes: tuple[GenerationMode, ...] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
) -> Report:
    """Every operation of `app` (except those labelled in `skip`, e.g. "POST /api/pay") in `modes`.

    `prepare` may put live identifiers (a signed-in session, a known card) into each case before it
    is sent, so the cases reach past the identifier checks into the services.
    """
    schema = app_schema(app)
    report = Report()
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the app's schema is valid
        operation = result.ok()
        if operation.label in skip:
            continue
        report.operations += 1
        for mode in modes:
            failure = _fuzz_operation(operation, mode, examples, report.statuses, prepare)
            if failure is not None:
                report.findings.append(Finding(operation.label, mode.value, failure))
    return report


def _fuzz_operation(
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    examples: int,
    statuses: Counter[int],
    prepare: Prepare | None,
) -> str | None:
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Case) -> None:
        if prepare is not None:
            prepare(case)
        response = case.call()
        statuses[response.status_code] += 1
        case.validate_response(response, checks=[not_a_server_error, status_code_conformance])

    try:
        run()
    except Unsatisfiable:  # nothing violates this operation's schema (no parameters, no body)
        return None
    except Exception as exc:  # any check failure or crash of the app is a finding, reported by text
        return f"{type(exc).__name__}: {str(exc)[:1500]}"
    return None


def live_ids(values: dict[str, str]) -> Prepare:
    """A `prepare` that puts `values` wherever a case has a parameter or a body field of that name."""

    def prepare(case: Case) -> None:
        for container in (case.path_parameters, case.query):
            if isinstance(container, dict):
                for name in container.keys() & values.keys():
                    container[name] = values[name]
        if isinstance(case.body, dict):
            for name in case.body.keys() & values.keys():
                case.body[name] = values[name]

    return prepare
