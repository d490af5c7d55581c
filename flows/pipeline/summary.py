"""The run summary: per-stage counts, shown in the terminal and attached to the run in Prefect."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from flows.sources.discover import Discovery
    from transforms.normalise import NormalisedChunk
    from warehouse.protocol import LoadResult

STAGES = ("found", "fetched", "parsed", "new", "updated", "unchanged", "duplicates", "rejected")


@dataclass(slots=True)
class RunSummary:
    """Counts for one run. `duplicates` counts copies of a story already in the batch (a feed item and
    its page, one story reached by two URLs); `wire_copies` counts republished stories linked to an original."""

    run_id: str = ""
    warehouse: str = ""
    found: int = 0
    fetched: int = 0
    parsed: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    not_modified: int = 0
    skipped_unchanged: int = 0
    wire_copies: int = 0
    staged: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    capped_sources: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    reject_reasons: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {stage: getattr(self, stage) for stage in STAGES}

    def add_discovery(self, discovery: Discovery) -> None:
        """Discovery's counts, once it is over (its rejects were counted with the chunks that loaded them)."""
        self.found = discovery.found
        self.not_modified = discovery.not_modified
        self.skipped_unchanged = discovery.skipped_unchanged
        self.duplicates += discovery.duplicates
        self.skipped = dict(discovery.skipped)
        self.capped_sources = list(discovery.capped)

    def add_chunk(self, fetched: int, parsed: int, normalised: NormalisedChunk, result: LoadResult | None) -> None:
        """Fold one chunk's outcome in; a staged chunk (result None) counts in `staged` at the end of the run."""
        self.fetched += fetched
        self.parsed += parsed
        self.duplicates += normalised.batch.duplicates_collapsed
        self.wire_copies += normalised.wire_copies
        if result is not None:
            self.new += result.new
            self.updated += result.updated
            self.unchanged += result.unchanged

    def add_rejects(self, reasons: list[str]) -> None:
        self.rejected += len(reasons)
        for reason in reasons:
            self.reject_reasons[reason] = self.reject_reasons.get(reason, 0) + 1

    def to_dict(self) -> dict:
        return asdict(self)

    def table_rows(self) -> list[dict[str, object]]:
        """Rows for Prefect's table artifact: one per stage."""
        return [{"stage": stage, "count": count} for stage, count in self.counts().items()]

    def markdown(self, report_hint: str) -> str:
        lines = [
            f"# Dateline ingest `{self.run_id}`",
            "",
            f"Loaded into `{self.warehouse}` in {self.elapsed_s:.1f} s: **{self.new} new**, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.duplicates} duplicates collapsed, {self.wire_copies} wire copies "
            f"linked, **{self.rejected} rejected**.",
            "",
            f"Incremental: {self.not_modified} feeds/sitemaps not modified (304), "
            f"{self.skipped_unchanged} known articles not fetched again.",
        ]
        lines += self._discovery_notes()
        if self.reject_reasons:
            lines += ["", "| reject reason | documents |", "|---|---|"]
            lines += [f"| {reason} | {n} |" for reason, n in sorted(self.reject_reasons.items())]
        lines += [
            "",
            f"Rejects: `dateline sql \"select * from etl_reject where run_id = '{self.run_id}'\"`.",
            report_hint,
        ]
        return "\n".join(lines)

    def _discovery_notes(self) -> list[str]:
        notes = []
        if self.skipped:
            notes.append("Skipped: " + ", ".join(f"{reason} {n}" for reason, n in sorted(self.skipped.items())) + ".")
        if self.capped_sources:
            notes.append(f"Stopped at max_items: {', '.join(self.capped_sources)} (the rest waits for the next run).")
        return ["", *notes] if notes else []

    def print(self, console: Console) -> None:
        table = Table(title=f"dateline run {self.run_id}", show_edge=False)
        for stage in STAGES:
            table.add_column(stage, justify="right")
        table.add_row(*(str(v) for v in self.counts().values()))
        console.print(table)
        extra = (
            f"{self.elapsed_s:.1f} s · warehouse {self.warehouse} · {self.wire_copies} wire copies linked · "
            f"{self.not_modified} not modified · {self.skipped_unchanged} known articles skipped"
        )
        console.print(extra)
        for note in self._discovery_notes()[1:]:
            console.print(note)
        if self.staged:
            console.print(
                f"[yellow]{self.staged} stories staged[/]: the warehouse was locked; the next run merges them"
            )
        if self.reject_reasons:
            reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(self.reject_reasons.items()))
            console.print(f"rejected: {reasons} (see table etl_reject)")
