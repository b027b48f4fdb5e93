"""Compare AtlasCloud's model list with the curated catalog, and print the differences readably."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from tools.catalog.curated import KNOWN_FEATURES, SYNCED_FIELDS, Catalog, CuratedModel, plain_decimal
from tools.catalog.upstream import ListedModel

_LABELS = {
    "context_size": "context",
    "max_output": "max output",
    "input_price": "input price",
    "output_price": "output price",
    "cached_input_price": "cached input price",
    "vision": "vision",
    "features": "features",
}
_UNITS = {
    "context_size": " tokens",
    "max_output": " tokens",
    "input_price": " USD per 1M tokens",
    "output_price": " USD per 1M tokens",
    "cached_input_price": " USD per 1M tokens",
}
_LISTING_FIELDS = {
    "context_size": "context_length",
    "max_output": "max_output_length",
    "input_price": "pricing.prompt",
    "output_price": "pricing.completion",
    "cached_input_price": "pricing.input_cache_read",
    "vision": "input_modalities",
    "features": "supported_features",
}


@dataclass(frozen=True)
class Change:
    model_id: str
    field: str
    shipped: str
    listed: str
    # The listed value when --write may take it (the synced numbers); None for review-only changes.
    value: int | Decimal | None = None


@dataclass
class Report:
    added: list[ListedModel] = field(default_factory=list)
    not_ready_unshipped: int = 0
    removed: list[tuple[str, str]] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    missing_fields: list[tuple[str, str]] = field(default_factory=list)
    stale: list[Path] = field(default_factory=list)

    @property
    def in_sync(self) -> bool:
        return not (self.added or self.removed or self.changes or self.stale)

    def updates(self) -> dict[str, dict[str, int | Decimal]]:
        """The numbers --write rewrites in the curated file, by model id."""
        result: dict[str, dict[str, int | Decimal]] = {}
        for change in self.changes:
            if change.value is not None:
                result.setdefault(change.model_id, {})[change.field] = change.value
        return result


def _tokens(value: int) -> str:
    return f"{value:,}"


def _number_changes(model: CuratedModel, listed: ListedModel, report: Report) -> None:
    for name in SYNCED_FIELDS:
        new = getattr(listed, name)
        if new is None:
            report.missing_fields.append((model.id, name))
            continue
        old = getattr(model, name)
        if old is None:  # a price the catalog has no line for: added by hand, with its source
            report.changes.append(Change(model.id, name, "none", plain_decimal(new)))
        elif name.endswith("_price"):
            if Decimal(old) != new:
                report.changes.append(Change(model.id, name, old, plain_decimal(new), new))
        elif old != new:
            report.changes.append(Change(model.id, name, _tokens(old), _tokens(new), new))


def _capability_changes(model: CuratedModel, listed: ListedModel, report: Report) -> None:
    if listed.vision is None:
        report.missing_fields.append((model.id, "vision"))
    elif listed.vision != model.vision:
        modalities = ", ".join(listed.input_modalities or ())
        shipped, now = ("yes", "no") if model.vision else ("no", "yes")
        report.changes.append(Change(model.id, "vision", shipped, f"{now} (input_modalities: {modalities})"))
    if listed.features is None:
        report.missing_fields.append((model.id, "features"))
        return
    # Only the features the plugin maps to Dify's count; pinned ones carry their own evidence.
    compared = KNOWN_FEATURES - set(model.pinned_features)
    shipped, now = set(model.features) & compared, set(listed.features) & compared
    if shipped != now:
        parts = [f"+{f}" for f in sorted(now - shipped)] + [f"-{f}" for f in sorted(shipped - now)]
        listed_text = f"{', '.join(sorted(now)) or 'none'} ({' '.join(parts)})"
        report.changes.append(Change(model.id, "features", ", ".join(sorted(shipped)) or "none", listed_text))


def compare(catalog: Catalog, listing: dict[str, ListedModel], stale: list[Path] | None = None) -> Report:
    report = Report(stale=list(stale or []))
    shipped = catalog.by_id()
    for model_id in sorted(set(listing) - set(shipped)):
        if listing[model_id].ready:
            report.added.append(listing[model_id])
        else:
            report.not_ready_unshipped += 1
    for model in catalog.models:
        listed = listing.get(model.id)
        if listed is None:
            report.removed.append((model.id, "not in the list"))
            continue
        if not listed.ready:
            report.removed.append((model.id, "listed with is_ready: false"))
        _number_changes(model, listed, report)
        _capability_changes(model, listed, report)
    return report


def _added_line(model: ListedModel) -> str:
    def count(value: int | None) -> str:
        return _tokens(value) if value is not None else "?"

    def price(value: Decimal | None) -> str:
        return plain_decimal(value) if value is not None else "?"

    modalities = "+".join(model.input_modalities or ("?",))
    features = ", ".join(sorted(model.features or ())) or "none"
    return (
        f"  + {model.id}: context {count(model.context_size)}, max output {count(model.max_output)}, "
        f"input {modalities}, {price(model.input_price)} / {price(model.output_price)} USD per 1M tokens, "
        f"features {features}"
    )


def format_report(report: Report, source: str, listed: int, shipped: int, curated_name: str) -> list[str]:
    lines = [f"AtlasCloud model list: {listed} entries from {source}; {shipped} predefined models shipped."]
    if report.in_sync:
        lines.append(f"In sync: all {shipped} predefined models are listed, ready, and match {curated_name}.")
    if report.added or report.not_ready_unshipped:
        lines += ["", f"Added upstream (ready, not shipped; add to {curated_name} by hand to ship one):"]
        lines += [_added_line(model) for model in report.added]
        if report.not_ready_unshipped:
            lines.append(f"  ({report.not_ready_unshipped} more listed with is_ready: false and not shipped: ignored)")
    if report.removed:
        lines += ["", "Removed or not ready upstream (shipped; remove by hand if it stays so):"]
        lines += [f"  - {model_id}: {reason}" for model_id, reason in report.removed]
    if report.changes:
        lines += ["", "Changed ([write]: --write rewrites it; [review]: curated, check the evidence and edit by hand):"]
        for change in report.changes:
            tag = "write" if change.value is not None else "review"
            unit = _UNITS.get(change.field, "")
            lines.append(
                f"  ~ {change.model_id}  {_LABELS[change.field]}: {change.shipped} -> {change.listed}{unit}  [{tag}]"
            )
    if report.missing_fields:
        lines += ["", "Not given by the list (shipped value kept):"]
        lines += [f"  ? {model_id}  no usable {_LISTING_FIELDS[name]}" for model_id, name in report.missing_fields]
    if report.stale:
        lines += ["", f"Shipped YAMLs that differ from {curated_name} (tools/build_catalog.py regenerates them):"]
        lines += [f"  ! {path.as_posix()}" for path in report.stale]
    if not report.in_sync:
        writable = sum(len(fields) for fields in report.updates().values())
        review = len(report.changes) - writable
        lines += [
            "",
            f"Summary: {len(report.added)} added, {len(report.removed)} removed or not ready, "
            f"{len(report.changes)} changed values ({writable} for --write, {review} to review), "
            f"{len(report.stale)} stale YAMLs.",
        ]
    return lines
