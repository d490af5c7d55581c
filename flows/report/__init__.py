"""`dateline report`: the analyst views drawn as one self-contained HTML page (`page`), from charts (`charts`)."""

from flows.report.page import write_report

__all__ = ["write_report"]
