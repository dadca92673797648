"""Findings shared by drift, lint and contract checks: severity, code, message, fix; rendering."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    """How bad a finding is; ordered, so ``finding.severity >= Severity.HIGH`` works."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``"high"`` -> ``Severity.HIGH``; a clear ValueError for anything else."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.name.lower() for s in sorted(cls, reverse=True))
            raise ValueError(f"unknown severity {text!r}; use one of {names}") from None


@dataclass(frozen=True)
class Finding:
    """One problem found by a check, with what to do about it."""

    severity: Severity
    code: str
    message: str
    fix: str = ""
    table: str | None = None
    model: str | None = None
    subject: str | None = None
    """The index, attribute or field concerned, when there is one."""
    location: str | None = None
    """``file:line`` for findings about source code."""
    details: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (severity as its name)."""
        out: dict[str, Any] = {"severity": self.severity.name, "code": self.code}
        for name in ("table", "model", "subject", "location"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out["message"] = self.message
        out["fix"] = self.fix
        if self.details:
            out["details"] = dict(self.details)
        return out

    @property
    def where(self) -> str:
        """``table/subject``, ``Model/subject`` or ``file:line``: a short locator."""
        head = self.location or self.table or self.model or ""
        if self.subject and head:
            return f"{head}/{self.subject}"
        return head or self.subject or ""


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first, then by where and code: a stable, readable order."""
    return sorted(findings, key=lambda f: (-f.severity, f.where, f.code, f.message))


def worst(findings: Iterable[Finding]) -> Severity | None:
    """The highest severity among ``findings``, or None when there are none."""
    return max((f.severity for f in findings), default=None)


def fails(findings: Iterable[Finding], threshold: Severity) -> bool:
    """True when any finding is at or above ``threshold``."""
    return any(f.severity >= threshold for f in findings)


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Number of findings per severity name (only the severities that occur)."""
    out: dict[str, int] = {}
    for finding in findings:
        out[finding.severity.name] = out.get(finding.severity.name, 0) + 1
    return out


def render_text(findings: Sequence[Finding], *, title: str = "") -> str:
    """Human-readable report: one block per finding, most severe first."""
    lines = [title] if title else []
    if not findings:
        lines.append("no findings")
        return "\n".join(lines) + "\n"
    for f in sort_findings(findings):
        lines.append(f"{f.severity.name:<8} {f.code}  {f.where}: {f.message}")
        if f.fix:
            lines.append(f"{'':<8} fix: {f.fix}")
    summary = ", ".join(f"{n} {name.lower()}" for name, n in _ordered_counts(findings))
    lines.append(f"{len(findings)} finding{'s' if len(findings) != 1 else ''} ({summary})")
    return "\n".join(lines) + "\n"


def render_json(findings: Sequence[Finding], **extra: Any) -> str:
    """Machine-readable report: ``{..extra, "findings": [...], "counts": {...}}``."""
    document = {
        **extra,
        "findings": [f.as_dict() for f in sort_findings(findings)],
        "counts": counts(findings),
    }
    return json.dumps(document, indent=2, sort_keys=False, default=str) + "\n"


def render_markdown(findings: Sequence[Finding], *, title: str = "ddbwrap report") -> str:
    """A Markdown table, ready to paste into (or post as) a pull-request comment."""
    lines = [f"### {title}", ""]
    if not findings:
        lines.append("No findings.")
        return "\n".join(lines) + "\n"
    summary = ", ".join(f"**{n}** {name.lower()}" for name, n in _ordered_counts(findings))
    lines += [f"{len(findings)} finding(s): {summary}", ""]
    lines += ["| Severity | Code | Where | Finding | Fix |", "|---|---|---|---|---|"]
    for f in sort_findings(findings):
        cells = [f.severity.name, f"`{f.code}`", f"`{f.where}`", f.message, f.fix]
        lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _ordered_counts(findings: Sequence[Finding]) -> list[tuple[str, int]]:
    found = counts(findings)
    return [(s.name, found[s.name]) for s in sorted(Severity, reverse=True) if s.name in found]


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
