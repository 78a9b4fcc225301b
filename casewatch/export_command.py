"""`casewatch export`: the stored evidence as a standard WARC file, or the change log as JSON or CSV for
reports, filtered by document, source, case and time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from casewatch.app import App
from casewatch.echo import fail
from casewatch.hints import known, see
from casewatch.time_options import parse_since, parse_until


@click.command()
@click.option("--format", "fmt", type=click.Choice(["warc", "json", "csv"]), default="warc", show_default=True,
              help="warc: the stored responses as evidence; json/csv: the change log for reports.")
@click.option("--document", "document_id", type=int, help="Only this document (its id).")
@click.option("--url", help="Only the document with this URL.")
@click.option("--source", "source_id", help="Only this source.")
@click.option("--case", "case_id", help="Only documents relevant to this case.")
@click.option("--since", help="Fetched (warc) or detected (json/csv) since: 7d, 12h, or a date.")
@click.option("--until", help="Only before: a date (that whole Lima day included) or a time.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
              help="Output file [warc: var/exports/casewatch-<time>.warc.gz; json/csv: standard output].")
@click.pass_obj
def export(app: App, fmt: str, document_id: int | None, url: str | None, source_id: str | None,
           case_id: str | None, since: str | None, until: str | None, output: Path | None) -> None:
    """Export stored evidence as a standard WARC file, or the change log as JSON or CSV."""
    from casewatch.export import default_warc_path, report_rows, text_output, write_csv, write_json, write_warc
    from crawler.extract.urls import canonical_url
    from pipeline.store.documents import get_document, get_document_by_id
    from pipeline.store.evidence import EvidenceFilter

    now = datetime.now(UTC)
    if document_id is not None and url:
        fail("use either --document or --url, not both")
    if source_id:
        app.sources([source_id])  # an unknown source is a UserError: one line
    if case_id and case_id not in app.config.cases:
        fail(f"unknown case {case_id!r} {known(app.config.cases)}")
    if url:
        with app.db.read() as session:
            doc = get_document(session, url)
            if doc is None:
                try:
                    doc = get_document(session, canonical_url(url))
                except ValueError:
                    doc = None
        if doc is None:
            fail(f"no stored document with URL {url!r} {see('changes')}")
        document_id = doc.id
    elif document_id is not None:
        with app.db.read() as session:
            if get_document_by_id(session, document_id) is None:
                fail(f"no stored document with id {document_id}")
    flt = EvidenceFilter(document_id=document_id, source_id=source_id, case_id=case_id,
                              since=parse_since(since, now), until=parse_until(until, now))
    if fmt == "warc":
        if output is not None and str(output) == "-":
            fail("a WARC export needs a file name (-o PATH.warc.gz)")
        path = output or default_warc_path(app.settings.var_dir, now)
        described = ", ".join(f"{k}={v}" for k, v in (("document", document_id), ("source", source_id),
                                                       ("case", case_id), ("since", since), ("until", until)) if v)
        summary = write_warc(app.db, flt, path, description=f"casewatch evidence export ({described or 'all'})")
        click.echo(f"{summary.path}: {summary.versions} version(s), {summary.responses} with their response, "
                   f"{summary.pruned} pruned (metadata only)", err=True)
        return
    rows = report_rows(app.db, flt)
    with text_output(output) as out:
        (write_json if fmt == "json" else write_csv)(rows, out)
    if output is not None and str(output) != "-":
        click.echo(f"{output}: {len(rows)} change(s)", err=True)
