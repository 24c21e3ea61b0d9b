"""`flask --app portal pii scan PATH` prints one JSON object per input line."""
from __future__ import annotations

import json


def test_pii_scan_prints_findings_per_line(app, tmp_path):
    path = tmp_path / "spec.txt"
    path.write_text("She is 14 and loves football.\nHer worker is on 07700 900123, email jo@example.org.\n\n"
                    "She lives near SE6 4RU, not far from Lewisham SE13.\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["pii", "scan", str(path)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [entry["line"] for entry in lines] == [1, 2, 3, 4]
    assert lines[0]["findings"] == [] and lines[2]["findings"] == []
    assert {f["kind"] for f in lines[1]["findings"]} == {"phone", "email"}
    assert lines[3]["findings"] == [{"kind": "postcode", "text": "SE6 4RU"}]


def test_pii_scan_refuses_a_file_that_is_not_utf8(app, tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Caf\xe9 near SE6\n".encode("latin-1"))
    result = app.test_cli_runner().invoke(args=["pii", "scan", str(path)])
    assert result.exit_code != 0 and "not UTF-8" in result.output
