"""``sendwell render``: a file rendered for one subscriber, lookups into CSV data extensions;
errors printed with line and column and a non-zero exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from sendwell.cli import app

CONTENT = """%%[
SET @name = ProperCase(FirstName)
SET @offer = Lookup("Offers", "Offer", "Tier", Tier)
]%%<p>Hi %%=v(@name)=%%, %%=IIf(Empty(@offer), "no offer", @offer)=%% (%%_messagecontext%%)</p>"""


def files(tmp_path: Path) -> tuple[Path, Path]:
    content = tmp_path / "email.html"
    content.write_text(CONTENT, encoding="utf-8")
    offers = tmp_path / "offers.csv"
    offers.write_text("Tier,Offer\nGold,20% off\nSilver,\n", encoding="utf-8")
    return content, offers


def test_render_prints_the_part_for_one_subscriber(tmp_path: Path) -> None:
    content, offers = files(tmp_path)
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "render",
            str(content),
            "--attributes",
            json.dumps({"FirstName": "ann", "Tier": "gold"}),
            "--data-extension",
            f"Offers={offers}",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "<p>Hi Ann, 20% off (PREVIEW)</p>"

    silver = runner.invoke(
        app,
        [
            "render",
            str(content),
            "--attributes",
            '{"Tier": "Silver"}',
            "--data-extension",
            f"offers={offers}",
        ],
    )
    assert silver.stdout == "<p>Hi , no offer (PREVIEW)</p>"  # an empty CSV cell is null


def test_render_a_json_email_part_by_part(tmp_path: Path) -> None:
    email = tmp_path / "email.json"
    email.write_text(
        json.dumps(
            {
                "Subject": "%%=v(@greeting)=%% %%FirstName%%",
                "HTMLBody": "%%[ SET @greeting = 'Welcome' ]%%<h1>%%=v(@greeting)=%%</h1>",
                "TextBody": "%%=Lowercase(@greeting)=%%",
            }
        )
    )
    runner = CliRunner()
    for part, expected in (
        ("subject", "Welcome Ann"),
        ("html", "<h1>Welcome</h1>"),
        ("text", "welcome"),
    ):
        result = runner.invoke(
            app, ["render", str(email), "--part", part, "--attributes", '{"FirstName": "Ann"}']
        )
        assert (result.exit_code, result.stdout) == (0, expected)


def test_render_errors_give_line_column_and_exit_code(tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text("<p>\n  %%[ SET @x = Frobnicate(1) ]%%\n</p>", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "sendwell", "render", str(broken)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert f"{broken}: line 2, column 16: unknown function Frobnicate" in result.stderr
    assert result.stdout == ""

    skip = tmp_path / "skip.txt"
    skip.write_text("%%[ RaiseError('no data') ]%%")
    result = CliRunner().invoke(app, ["render", str(skip), "--part", "text"])
    assert result.exit_code == 1
    assert "line 1, column 5: RaiseError: no data" in result.output

    runtime = tmp_path / "runtime.txt"
    runtime.write_text("ok\n%%=Lookup('Nowhere', 'a', 'b', 'c')=%%")
    result = CliRunner().invoke(app, ["render", str(runtime)])
    assert result.exit_code == 1
    assert "line 2, column 4: Lookup: no data extension is named 'Nowhere'" in result.output

    for args in (["--attributes", "[1]"], ["--part", "footer"], ["--data-extension", "x"]):
        result = CliRunner().invoke(app, ["render", str(runtime), *args])
        assert result.exit_code == 2, args


def test_render_reads_content_blocks_from_a_folder_and_writes_nothing(tmp_path: Path) -> None:
    blocks = tmp_path / "blocks"
    blocks.mkdir()
    (blocks / "Header.html").write_text("<h1>Hi %%=ProperCase(FirstName)=%%</h1>", encoding="utf-8")
    (blocks / "footer-key.txt").write_text("Bye %%FirstName%%", encoding="utf-8")
    offers = tmp_path / "offers.csv"
    offers.write_text("Tier,Offer\nGold,20% off\n", encoding="utf-8")
    content = tmp_path / "email.html"
    content.write_text(
        "%%=ContentBlockByName('header')=%%|%%=ContentBlockByKey('FOOTER-KEY')=%%|"
        "%%=UpsertData('Offers', 1, 'Tier', 'Gold', 'Offer', '30% off')=%%|"
        "%%=Lookup('Offers', 'Offer', 'Tier', 'Gold')=%%",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app,
        [
            "render",
            str(content),
            "--attributes",
            '{"FirstName": "ann"}',
            "--content-dir",
            str(blocks),
            "--data-extension",
            f"Offers={offers}",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "<h1>Hi Ann</h1>|Bye ann|1|20% off"  # the write changed nothing
    assert "would upsert {'Offer': '30% off'} in 'Offers' where {'Tier': 'Gold'} (1 rows)" in (
        result.stderr
    )
    assert offers.read_text(encoding="utf-8") == "Tier,Offer\nGold,20% off\n"

    missing = CliRunner().invoke(
        app, ["render", str(content), "--content-dir", str(tmp_path / "no")]
    )
    assert missing.exit_code == 2 and "is not a folder" in missing.stderr
