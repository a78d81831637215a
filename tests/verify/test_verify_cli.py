"""`kofu documents sample` and `kofu verify FILE [--json]`: verdicts and exit codes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from kofu.documents_cli import app as documents_app
from kofu.registry.cli import app as village_app
from kofu.rules.paging import make_document_number
from kofu.settings import load_settings
from kofu.verify.cli import verify
from kofu.verify.register import migrate_verify

# The commands as `kofu` mounts them (kofu/cli.py), without the other parties' groups.
app = typer.Typer()
app.add_typer(village_app, name="village")
app.add_typer(documents_app, name="documents")
app.command("verify")(verify)


@app.callback()
def _root(ctx: typer.Context) -> None:
    ctx.obj = load_settings()


@pytest.fixture
def runner(kofu_home: Path) -> CliRunner:
    """A home set up as the demo sets one up: the verifier's key pair, Ōhira's keys and published set."""
    cli = CliRunner()
    for command in (["keys", "verifier"], ["keys", "export", "--rulebook", "ohira"]):
        done = cli.invoke(app, ["documents", *command])
        assert done.exit_code == 0, done.output
    migrate_verify(load_settings().db_url)  # the register the demo's verification page makes
    return cli


def test_sample_then_verify_is_genuine_with_exit_0(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "inkan.pdf"
    made = runner.invoke(app, ["documents", "sample", "--kind", "inkan", "--out", str(out)])
    assert made.exit_code == 0, made.output
    result = runner.invoke(app, ["verify", str(out), "--json"])
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.output.strip().splitlines()[-1])
    assert verdict["status"] == "genuine"
    assert verdict["document"]["kind"] == "inkan"
    assert verdict["content"]["name"] == "髙橋　花子"
    human = runner.invoke(app, ["verify", str(out)])
    assert human.exit_code == 0 and human.output.startswith("見本の証明書です / Sample certificate")


def test_a_changed_pdf_is_altered_with_exit_1(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "kazei.pdf"
    assert runner.invoke(app, ["documents", "sample", "--kind", "kazei", "--out", str(out)]).exit_code == 0
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0x20
    out.write_bytes(bytes(data))
    result = runner.invoke(app, ["verify", str(out), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output.strip().splitlines()[-1])["status"] == "altered"


def test_bad_input_gets_a_reason_not_a_traceback(runner: CliRunner, tmp_path: Path) -> None:
    bad_kind = runner.invoke(
        app, ["documents", "sample", "--kind", "passport", "--out", str(tmp_path / "x.pdf")]
    )
    assert bad_kind.exit_code == 2 and "bad_request" in bad_kind.output
    missing = runner.invoke(app, ["verify", str(tmp_path / "nothing.pdf")])
    assert missing.exit_code == 2 and "unreadable" in missing.output
    (tmp_path / "note.txt").write_text("hello")
    unsupported = runner.invoke(app, ["verify", str(tmp_path / "note.txt"), "--json"])
    assert unsupported.exit_code == 1
    assert json.loads(unsupported.output.strip().splitlines()[-1])["reasons"][0]["code"] == "unsupported"


def test_verify_a_scan_of_the_back_shows_the_original(runner: CliRunner, tmp_path: Path) -> None:
    import subprocess

    out = tmp_path / "fuhyo.pdf"
    assert runner.invoke(app, ["documents", "sample", "--kind", "fuhyo", "--out", str(out)]).exit_code == 0
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-f", "2", "-l", "2", str(out), str(tmp_path / "scan")], check=True
    )
    (scan,) = tmp_path.glob("scan*.png")
    result = runner.invoke(app, ["verify", str(scan), "--json"])
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.output.strip().splitlines()[-1])
    assert verdict["status"] == "genuine" and verdict["source"] == "image"
    assert verdict["content"]["members"][0]["name"] == "髙橋　一郎"


def test_revoke_then_verify_says_revoked(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "juminhyo.pdf"
    made = runner.invoke(app, ["documents", "sample", "--kind", "juminhyo", "--out", str(out)])
    assert made.exit_code == 0, made.output
    number = made.output.split()[-3]
    assert runner.invoke(app, ["documents", "revoke", number]).exit_code == 0
    result = runner.invoke(app, ["verify", str(out), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output.strip().splitlines()[-1])["status"] == "revoked"
    unknown = make_document_number("044245", date(2026, 1, 5), 999_999)
    assert runner.invoke(app, ["documents", "revoke", unknown]).exit_code == 1
    assert runner.invoke(app, ["documents", "revoke", "not-a-number"]).exit_code == 2


def test_package_level_verify_trusts_the_home_keys(runner: CliRunner, tmp_path: Path) -> None:
    from kofu.verify import verify_bytes

    out = tmp_path / "kazei.pdf"
    assert runner.invoke(app, ["documents", "sample", "--kind", "kazei", "--out", str(out)]).exit_code == 0
    assert verify_bytes(out.read_bytes()).genuine  # the published set found under KOFU_HOME
    assert verify_bytes(out.read_bytes(), home=tmp_path / "elsewhere").status.value == "unknown"


def test_sample_for_a_person_of_the_generated_village(runner: CliRunner, tmp_path: Path) -> None:
    """`--person` composes from the registry (one consistent read); a stale record is refused (INC-4)."""
    generated = runner.invoke(app, ["village", "generate", "--persons", "120", "--seed", "3"])
    assert generated.exit_code == 0, generated.output
    adult = (
        runner.invoke(app, ["village", "find", "household_head_with_members"]).output.strip().splitlines()[-1]
    )
    out = tmp_path / "person.pdf"
    made = runner.invoke(
        app, ["documents", "sample", "--kind", "juminhyo", "--person", adult, "--out", str(out)]
    )
    assert made.exit_code == 0, made.output
    result = runner.invoke(app, ["verify", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["status"] == "genuine"
    abolished = runner.invoke(app, ["village", "find", "seal_abolished"]).output.strip().splitlines()[-1]
    refused = runner.invoke(
        app,
        ["documents", "sample", "--kind", "inkan", "--person", abolished, "--out", str(tmp_path / "x.pdf")],
    )
    assert refused.exit_code == 1 and "seal_abolished" in refused.output
    assert not (tmp_path / "x.pdf").exists()
    unknown = runner.invoke(
        app, ["documents", "sample", "--kind", "inkan", "--person", "nobody", "--out", str(out)]
    )
    assert unknown.exit_code == 1 and "bad_request" in unknown.output


def test_a_back_cropped_to_its_signed_code_is_seal_only_with_exit_3(
    runner: CliRunner, tmp_path: Path
) -> None:
    """The seal alone vouches for no printed item: not genuine (exit 0), not altered (exit 1) either."""
    import subprocess

    import zxingcpp
    from PIL import Image

    out = tmp_path / "kazei.pdf"
    assert runner.invoke(app, ["documents", "sample", "--kind", "kazei", "--out", str(out)]).exit_code == 0
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-f", "2", "-l", "2", str(out), str(tmp_path / "scan")], check=True
    )
    (scan,) = tmp_path.glob("scan*.png")
    back = Image.open(scan).convert("L")
    (signed,) = [c for c in zxingcpp.read_barcodes(back) if c.text.startswith("KF1:")]
    corners = [signed.position.top_left, signed.position.bottom_right]
    cropped = back.crop((corners[0].x - 30, corners[0].y - 30, corners[1].x + 30, corners[1].y + 30))
    cropped.save(tmp_path / "cropped.png")
    result = runner.invoke(app, ["verify", str(tmp_path / "cropped.png"), "--json"])
    assert result.exit_code == 3, result.output
    verdict = json.loads(result.output.strip().splitlines()[-1])
    assert verdict["status"] == "seal_only" and verdict["reasons"][0]["code"] == "content_unreadable"
    assert "content" not in verdict and verdict["status_ja"].startswith("電子公印は有効ですが")


def test_verify_help_documents_its_exit_codes(runner: CliRunner) -> None:
    shown = " ".join(runner.invoke(app, ["verify", "--help"]).output.split())
    for code in ("0 genuine", "1 not genuine", "2 nothing was checked", "3 seal only"):
        assert code in shown, shown


def test_issue26_verify_prints_human_text_japanese_first_by_default(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Issue 26 item 5: `kofu verify FILE` speaks to people: sentences in Japanese then English, the items
    in printed words; never a Python dict, an escape, an ISO date or an internal identifier."""
    out = tmp_path / "juminhyo.pdf"
    assert runner.invoke(app, ["documents", "sample", "--kind", "juminhyo", "--out", str(out)]).exit_code == 0
    verdict = json.loads(runner.invoke(app, ["verify", str(out), "--json"]).output.strip().splitlines()[-1])
    human = runner.invoke(app, ["verify", str(out)])
    assert human.exit_code == 0, human.output
    text = human.output
    first = text.splitlines()[0]
    assert first.index("見本の証明書です") < first.index("Sample certificate")
    assert "法的な効力はありません" in text and "no legal force" in text
    assert "証明書の種類 (Kind of certificate): 住民票の写し" in text
    assert "氏名: 髙橋　一郎" in text  # the ideographic space as printed, not \u3000
    for machine in (
        "{",
        "\\u3000",
        "'name'",
        "True",
        "False",
        "order_id",
        verdict["document"]["issued_on"],
        verdict["document"]["content_digest"],
    ):
        assert machine not in text, machine
