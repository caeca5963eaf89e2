"""assay: check Kubernetes config and decide rollouts with compiled policies.

    import assay
    policy = assay.load("policies/")            # file, directory, or .wasm module
    report = policy.validate(doc, env="production")
    report.verdict, report.ok, report.findings
    report.raise_for_errors()                   # assay.ValidationError

The same verdicts as the `assay` CLI: reports' `to_dict()` is its `-o json`.
"""

from ._assay import (
    Decision,
    DocumentResult,
    Finding,
    Policy,
    Report,
    Summary,
    __version__,
    load,
    parse,
)
from ._errors import AssayError, InputError, LimitError, PolicyError, PolicyProblem, ValidationError
from .guard import ConfigGuard

__all__ = [
    "AssayError",
    "ConfigGuard",
    "Decision",
    "DocumentResult",
    "Finding",
    "InputError",
    "LimitError",
    "Policy",
    "PolicyError",
    "PolicyProblem",
    "Report",
    "Summary",
    "ValidationError",
    "__version__",
    "load",
    "parse",
]
