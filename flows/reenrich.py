"""The `reenrich` flow: apply the current enrichment to stored stories, from the warehouse's own text.

When the entity model, the rules or the keyword lists change, the stories already loaded keep the rows
the old version made, and a trend would mix the two. Every story records its `enrichment_version`; this
flow reads, a chunk at a time, the stories whose version is not the current one, enriches them on the
run's workers, and replaces their entity, IPTC topic, quote and date rows in one merge per chunk,
summaries included. Nothing is fetched or parsed again (unlike `reparse`), and a story's text, version
and own sections and tags stay as they are. Run it twice and the second run finds nothing to do.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from flows.pipeline.chunks import chunk_size_for
from flows.pipeline.enrich import current_version, enrich_parallel
from flows.pipeline.run import warehouse_run
from flows.sources.config import SourcesConfig
from transforms.normalise import reenrich_chunk
from warehouse.protocol import LoadBatch


@flow(name="reenrich", log_prints=True)
def reenrich(warehouse_path: str | None = None, chunk_size: int | None = None) -> dict:
    """Re-enrich every stored story whose `enrichment_version` differs from the current one."""
    version = current_version()
    with warehouse_run(warehouse_path, SourcesConfig(sources=(), base_dir=Path.cwd())) as run:
        summary, warehouse = run.summary, run.warehouse
        chunk_size = chunk_size_for(warehouse.location, chunk_size)
        print(f"re-enriching stories not enriched by {version}")
        after: int | None = None
        while not (stories := warehouse.stories_to_enrich(version, after, chunk_size)).is_empty():
            after = stories["story_key"].max()
            batch = reenrich_chunk(stories, enrich_parallel)
            summary.found += stories.height
            summary.chunks += 1
            summary.rejected += len(batch.rejects)
            if warehouse.load(LoadBatch(batch, summary.run_id, run.seen_at)) is None:
                print(f"warehouse locked: {summary.found} stories' new rows staged, the next run merges them")
                break
            summary.updated += stories.height
        print(f"re-enriched {summary.updated} stories")
    return summary.to_dict()
