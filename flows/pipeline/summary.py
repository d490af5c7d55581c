"""The run summary: per-stage and per-source counts, the run's outcome, shown in the terminal and attached
to the run in Prefect.

A run ends in one of three outcomes, so a script or a scheduler can tell them apart:
- `completed`: every source was read;
- `completed_with_warnings`: something needs a look, each named on a WARNING line: a source that failed
  entirely (nothing found, its feed or sitemap could not be read), a `path` glob that matched nothing, a
  source whose documents were rejected or unreadable above `REJECT_RATE_WARNING`;
- `failed`: every source failed entirely (or the load itself failed, which raises before any outcome).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from flows.sources.config import Source
    from flows.sources.discover import Discovery
    from transforms.normalise import NormalisedChunk
    from transforms.star import Reject
    from warehouse.protocol import LoadResult

STAGES = ("found", "fetched", "parsed", "new", "updated", "unchanged", "duplicates", "rejected")
SOURCE_COUNTS = ("found", "fetched", "new", "updated", "rejected", "errors")
# Share of a source's documents rejected or unreadable above which the run completes with a warning: a
# few bad pages are normal on a news site, a fifth of them means a layout change or a failing server.
REJECT_RATE_WARNING = 0.20
# Stages whose rejects are documents that could not be read at all (`errors`), as against read and refused.
_UNREAD_STAGES = ("discover", "fetch")


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
    chunks: int = 0  # chunks merged or staged: shows the chunk size an operator asked for was the one used
    skipped: dict[str, int] = field(default_factory=dict)
    capped_sources: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    reject_reasons: dict[str, int] = field(default_factory=dict)
    # per source name: SOURCE_COUNTS; `listing_errors`: why its feeds and sitemaps could not be read (reason: n)
    sources: dict[str, dict[str, int]] = field(default_factory=dict)
    listing_errors: dict[str, dict[str, int]] = field(default_factory=dict)
    file_sources: list[str] = field(default_factory=list)
    status: str = ""
    warnings: list[str] = field(default_factory=list)
    stopped_by: str = ""  # the signal that stopped an interrupted run

    def counts(self) -> dict[str, int]:
        return {stage: getattr(self, stage) for stage in STAGES}

    def _source(self, name: str) -> dict[str, int]:
        return self.sources.setdefault(name, dict.fromkeys(SOURCE_COUNTS, 0))

    def add_discovery(self, discovery: Discovery, sources: tuple[Source, ...] = ()) -> None:
        """Discovery's counts once it is over, in total and per source (every configured source gets a row,
        found or not); its rejects were counted with the chunks that loaded them."""
        for source in sources:
            self._source(source.name)
            if source.path:
                self.file_sources.append(source.name)
        self.found = discovery.found
        for name, found in discovery.found_by_source.items():
            self._source(name)["found"] += found
        self.listing_errors = {name: dict(reasons) for name, reasons in discovery.listing_errors.items()}
        self.not_modified = discovery.not_modified
        self.skipped_unchanged = discovery.skipped_unchanged
        self.duplicates += discovery.duplicates
        self.skipped = dict(discovery.skipped)
        self.capped_sources = list(discovery.capped)

    def add_chunk(
        self, fetched_sources: list[str], parsed: int, normalised: NormalisedChunk, result: LoadResult | None
    ) -> None:
        """Fold one chunk's outcome in (`fetched_sources`: the source of each document read); a staged chunk
        (result None) counts in `staged` at the end of the run."""
        self.chunks += 1
        self.fetched += len(fetched_sources)
        for name in fetched_sources:
            self._source(name)["fetched"] += 1
        self.parsed += parsed
        self.duplicates += normalised.batch.duplicates_collapsed
        self.wire_copies += normalised.wire_copies
        if result is not None:
            self.new += result.new
            self.updated += result.updated
            self.unchanged += result.unchanged
            for name, (new, updated) in result.by_source.items():
                counts = self._source(name)
                counts["new"] += new
                counts["updated"] += updated

    def add_rejects(self, rejects: list[Reject]) -> None:
        self.rejected += len(rejects)
        for reject in rejects:
            self.reject_reasons[reject.reason] = self.reject_reasons.get(reject.reason, 0) + 1
            self._source(reject.source)["errors" if reject.stage in _UNREAD_STAGES else "rejected"] += 1

    def assess(self) -> str:
        """Decide the run's outcome from its counts; sets `status` and `warnings` (one line per problem,
        naming the source) and returns the status."""
        failed = [name for name, c in self.sources.items() if c["found"] == 0 and c["errors"] > 0]
        warnings = []
        for name in failed:
            reasons = ", ".join(f"{reason} ×{n}" for reason, n in sorted(self.listing_errors.get(name, {}).items()))
            warnings.append(f"source {name!r} failed entirely: nothing found ({reasons or 'unreadable'})")
        for name in self.file_sources:
            if self.sources[name]["found"] == 0 and name not in failed:
                warnings.append(f"source {name!r}: its path matched no file")
        for name, c in self.sources.items():
            attempted = c["found"] + sum(self.listing_errors.get(name, {}).values())
            if name not in failed and attempted and (c["rejected"] + c["errors"]) / attempted > REJECT_RATE_WARNING:
                warnings.append(
                    f"source {name!r}: {c['rejected'] + c['errors']} of {attempted} documents rejected or unreadable "
                    f"(over {REJECT_RATE_WARNING:.0%})"
                )
        self.warnings = warnings
        if self.sources and len(failed) == len(self.sources):
            self.status = "failed"
        else:
            self.status = "completed_with_warnings" if warnings else "completed"
        return self.status

    def to_dict(self) -> dict:
        return asdict(self)

    def table_rows(self) -> list[dict[str, object]]:
        """Rows for Prefect's table artifact: one per stage."""
        return [{"stage": stage, "count": count} for stage, count in self.counts().items()]

    def source_rows(self) -> list[dict[str, object]]:
        """Rows for the per-source table artifact: one per source, SOURCE_COUNTS as columns."""
        return [{"source": name, **counts} for name, counts in sorted(self.sources.items())]

    def markdown(self, report_hint: str) -> str:
        lines: list[str | None] = [
            f"# Dateline ingest `{self.run_id}`: {self.status.replace('_', ' ') or 'unfinished'}",
            "",
            *(f"- **warning**: {warning}" for warning in self.warnings),
            "" if self.warnings else None,
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
        return "\n".join(line for line in lines if line is not None)

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
        if len(self.sources) > 1 or self.warnings:
            per_source = Table(show_edge=False)
            for column in ("source", *SOURCE_COUNTS):
                per_source.add_column(column, justify="left" if column == "source" else "right")
            for row in self.source_rows():
                per_source.add_row(*(Text(str(v)) for v in row.values()))  # names are text, never markup
            console.print(per_source)
        extra = (
            f"{self.elapsed_s:.1f} s in {self.chunks} chunk{'' if self.chunks == 1 else 's'} · "
            f"warehouse {self.warehouse} · {self.wire_copies} wire copies linked · "
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
        for warning in self.warnings:
            console.print(Text(f"warning: {warning}", style="yellow"))
        if self.status and self.status != "completed":
            console.print(Text(self.status.replace("_", " "), style="yellow" if self.warnings else "red"))
