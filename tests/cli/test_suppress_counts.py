"""`sestui suppress add|import` count what they did: SES puts an address already listed again (its
reason replaced), which is no entry more. The ops trial's import said added=3 for three addresses
already listed, and `add` said "added" while it replaced a COMPLAINT with a BOUNCE."""

from __future__ import annotations

from sestui.cli import main


def test_add_and_import_tell_a_new_entry_from_one_listed_again(sandbox, aws, capsys, tmp_path):
    where = ["--endpoint-url", sandbox.info.endpoint_url, "--region", sandbox.info.region,
             "--db", str(tmp_path / "s.db")]
    listed = ["c1@counts.example", "c2@counts.example", "c3@counts.example"]
    aws.sesv2.put_suppressed_destination(EmailAddress=listed[0], Reason="COMPLAINT")
    try:
        assert main(["suppress", "add", listed[0], listed[1], *where]) == 0
        assert capsys.readouterr().out.splitlines() == [
            f"listed {listed[0]} for BOUNCE (it was listed for COMPLAINT)", f"added {listed[1]} (BOUNCE)"]
        csv = tmp_path / "in.csv"
        csv.write_text(f"{listed[0].upper()},BOUNCE\n{listed[1]},COMPLAINT\n{listed[2]}\n")
        assert main(["suppress", "import", str(csv), "--dry-run", *where]) == 0
        assert capsys.readouterr().out.splitlines() == [
            f"would list {listed[0].upper()} again (BOUNCE; it is already)",
            f"would list {listed[1]} for COMPLAINT (it is listed for BOUNCE)",
            f"would add {listed[2]} (BOUNCE)", "added=0 updated=0 failed=0 skipped=0"]
        assert main(["suppress", "import", str(csv), *where]) == 0
        assert capsys.readouterr().out.splitlines()[-1] == "added=1 updated=2 failed=0 skipped=0"
        entries = {e["EmailAddress"].lower() for e in
                   aws.sesv2.list_suppressed_destinations()["SuppressedDestinationSummaries"]}
        assert set(listed) <= entries
    finally:
        for email in listed:
            try:
                aws.sesv2.delete_suppressed_destination(EmailAddress=email)
            except aws.sesv2.exceptions.NotFoundException:
                pass
