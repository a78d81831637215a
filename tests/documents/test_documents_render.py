"""Rendered certificates, checked with independent tools: pdfsig, qpdf, pdftotext, pdffonts.

CRT-1..5 items per kind and option, INC-6 (旧氏 in brackets), PAG-1 (unique number and n / N on every
page), SEC-6 (sealed PDF), 見本 in demo configurations, never a 住民票コード or 個人番号.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from doc_support import ARTIFACTS, PERSON_CODES, page_texts, run, write
from kofu.documents import samples
from kofu.documents.content import Content
from kofu.documents.issue import render_and_seal
from kofu.documents.keys import SealingKeys
from kofu.rules.rulebook import Rulebook
from kofu.verify.key import VerifierKey

VARIANTS = [
    "juminhyo_whole",
    "juminhyo_chosen_honseki",
    "juminhyo_two_no_householder",
    "inkan",
    "kazei",
    "kazei_exempt",
    "koseki_whole_large",
    "koseki_individual",
    "fuhyo",
    "fuhyo_honseki",
    "juminhyo_production",
]

# (printed, never printed) per variant, compared with all whitespace removed.
EXPECT: dict[str, tuple[list[str], list[str]]] = {
    "juminhyo_whole": (
        [
            "住民票の写し",
            "髙橋一郎",
            "髙橋花子（旧氏𠮷田）",
            "たかはしはなこ（よしだ）",  # issue 24 item 5: the 旧氏's reading with the name's
            "髙橋﨑太",
            "世帯主",
            "続柄",
            "世帯全員",
            samples.ADDRESS,
        ],
        ["本籍", "筆頭者"],
    ),
    "juminhyo_chosen_honseki": (
        ["髙橋花子（旧氏𠮷田）", "本籍", samples.HONSEKI, "筆頭者", "世帯の一部"],
        ["髙橋﨑太", "世帯主", "続柄"],
    ),
    "juminhyo_two_no_householder": (
        ["髙橋一郎", "髙橋﨑太", "世帯の一部"],
        ["髙橋花子", "世帯主", "続柄", "本籍"],
    ),
    "inkan": (
        ["印鑑登録証明書", "印影", "髙橋花子（旧氏𠮷田）", "昭和55年12月24日", samples.ADDRESS],
        ["髙橋一郎"],
    ),
    "kazei": (
        [
            "課税・非課税・所得証明書",
            "令和7年度",
            "5,200,000円",
            "182,000円",
            "扶養控除（1人）",
            "村民税",
            "森林環境税",
        ],
        ["課税状況"],
    ),
    "kazei_exempt": (["令和6年度", "課税状況非課税"], ["年税額"]),
    "koseki_whole_large": (
        [
            "全部事項証明",
            "【名】一郎",
            "【名】花子",
            "髙橋一郎【氏の振り仮名】タカハシ",  # issue 24 item 5
            "【名】一郎【名の振り仮名】イチロウ",
            "【名】花子【名の振り仮名】ハナコ",
            "【配偶者区分】妻",
            "昭和５３年４月１日",
            "以下余白",
            "除籍",
        ],
        ["個人事項証明"],
    ),
    "koseki_individual": (
        [
            "個人事項証明",
            "【名】一郎",
            "【氏の振り仮名】タカハシ",
            "【名の振り仮名】イチロウ",
            "戸籍中の一部の者",
        ],
        ["【名】花子", "【名】﨑太", "ハナコ"],
    ),
    "fuhyo": (
        ["戸籍の附票の写し", "髙橋一郎", "髙橋花子（旧氏𠮷田）", "平成22年10月1日", "宮城県仙台市青葉区"],
        ["本籍"],
    ),
    "fuhyo_honseki": (["本籍", samples.HONSEKI, "筆頭者"], []),
    "juminhyo_production": (["住民票の写し", "髙橋花子（旧氏𠮷田）"], ["見本"]),
}


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def pdf_of(tmp_path: Path, rendered: Callable[[str], bytes]) -> Callable[[str], Path]:
    return lambda name: write(tmp_path, f"{name}.pdf", rendered(name))


@pytest.mark.parametrize("name", VARIANTS)
def test_pdfsig_reports_a_valid_certification_signature_sec6(
    name: str, pdf_of: Callable[[str], Path]
) -> None:
    out = run("pdfsig", str(pdf_of(name))).stdout.decode()
    assert "Signature Validation: Signature is Valid." in out
    assert "Total document signed" in out


@pytest.mark.parametrize("name", VARIANTS)
def test_qpdf_check_passes(name: str, pdf_of: Callable[[str], Path]) -> None:
    result = run("qpdf", "--check", str(pdf_of(name)))
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()


@pytest.mark.parametrize("name", VARIANTS)
def test_text_shows_the_chosen_items_and_never_a_personal_code_crt1_inc6(
    name: str, pdf_of: Callable[[str], Path], contents: dict[str, Content]
) -> None:
    text = squash(run("pdftotext", "-layout", str(pdf_of(name)), "-").stdout.decode())
    printed, never = EXPECT[name]
    for item in printed:
        assert squash(item) in text, item
    for item in never:
        assert squash(item) not in text, item
    for code, my_number in PERSON_CODES.values():
        assert code not in text and my_number not in text
    assert "住民票コード" not in text and "個人番号" not in text
    assert contents[name].header.certification in text
    assert ("見本" in text) is contents[name].header.demo


@pytest.mark.parametrize("name", VARIANTS)
def test_every_page_carries_the_unique_number_and_its_own_page_label_pag1(
    name: str, pdf_of: Callable[[str], Path], contents: dict[str, Content]
) -> None:
    pages = page_texts(pdf_of(name))
    sheets = len(pages) // 2
    number = contents[name].header.unique_number
    for index, text in enumerate(pages):
        n = index // 2 + 1  # front, back, front, back...
        assert number in text, f"page {index + 1}"
        assert f"{n} / {sheets}" in text, f"page {index + 1}"
        others = {f"{m} / {sheets}" for m in range(1, sheets + 1) if m != n}
        assert not any(o in text for o in others)


def test_a_large_register_spans_several_sheets_with_one_number_pag1_inc3(
    pdf_of: Callable[[str], Path], contents: dict[str, Content]
) -> None:
    assert len(contents["koseki_whole_large"].persons) == 15  # type: ignore[union-attr]
    pages = page_texts(pdf_of("koseki_whole_large"))
    assert len(pages) >= 6  # at least three duplex sheets
    numbers = {m for text in pages for m in re.findall(r"\d{6}-\d{8}-\d{6}-\d", text)}
    assert numbers == {contents["koseki_whole_large"].header.unique_number}
    joined = squash("".join(pages[::2]))
    assert joined.endswith("以下余白") or "以下余白" in joined
    for person in contents["koseki_whole_large"].persons:  # type: ignore[union-attr]
        assert f"【名】{person.name}" in joined


def test_fonts_are_embedded_subsets(pdf_of: Callable[[str], Path]) -> None:
    lines = run("pdffonts", str(pdf_of("juminhyo_whole"))).stdout.decode().splitlines()[2:]
    assert lines
    for line in lines:
        name, *_ = line.split()
        assert re.match(r"[A-Z]{6}\+", name), line
        assert " yes yes " in line, line
    assert any("IPAmjMincho" in line for line in lines)  # 𠮷 came from the fallback font


def test_the_back_is_a_separate_page_with_codes_but_no_content(pdf_of: Callable[[str], Path]) -> None:
    back = squash(page_texts(pdf_of("juminhyo_whole"))[1])
    assert "検証用コード" in back
    assert "髙橋" not in back and samples.ADDRESS not in back


@pytest.mark.parametrize("name", ["juminhyo_whole", "inkan", "kazei", "koseki_whole_large", "fuhyo"])
def test_write_100dpi_artifacts_of_each_kind(name: str, pdf_of: Callable[[str], Path]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    kind = name.split("_")[0]
    prefix = ARTIFACTS / kind
    result = run("pdftoppm", "-r", "100", "-png", "-f", "1", "-l", "2", str(pdf_of(name)), str(prefix))
    assert result.returncode == 0
    made = sorted(ARTIFACTS.glob(f"{kind}-*.png"))
    assert len(made) >= 2
    made[0].replace(ARTIFACTS / f"{kind}_front.png")
    made[1].replace(ARTIFACTS / f"{kind}_back.png")
    assert (ARTIFACTS / f"{kind}_front.png").stat().st_size > 10_000


def test_long_content_keeps_dates_and_numbers_on_one_line(
    tmp_path: Path, rulebook: Rulebook, doc_keys: SealingKeys, verifier: VerifierKey
) -> None:
    long_address = (
        "宮城県黒川郡大衡村大衡字平林" * 6 + "１２３４５番地の６７８９" + "ハイツ大衡" * 5 + "１０２号"
    )
    base = samples.juminhyo(rulebook, members=(0,))
    member = dataclasses.replace(base.members[0], previous_address=long_address + "から" + long_address)
    content = dataclasses.replace(base, address=long_address, members=(member,))
    pdf = write(tmp_path, "long.pdf", render_and_seal(content, doc_keys, verifier.public))
    lines = run("pdftotext", "-layout", str(pdf), "-").stdout.decode().splitlines()
    assert sum("１２３４５番地の６７８９" in line for line in lines) >= 3  # address and both previous ones
    for d in ("昭和53年4月1日", "平成22年10月5日", "平成22年10月1日"):
        assert any(d in line for line in lines), d


@pytest.mark.parametrize("name", ["juminhyo_whole", "koseki_whole_large"])
def test_both_sides_carry_the_copy_warning_pattern_micro_text_and_number_SEC_6(
    name: str, tmp_path: Path, pdf_of: Callable[[str], Path], contents: dict[str, Content]
) -> None:
    """SEC-6: the 複写 latent-image tiles, the micro-printed line and the unique number are on the front
    and on the back of every sheet."""
    from kofu.documents import pattern

    mask = pattern._mask()
    assert any(any(row) for row in mask) and not all(all(row) for row in mask)  # the word has a shape
    expanded = tmp_path / "qdf.pdf"
    assert run("qpdf", "--qdf", "--object-streams=disable", str(pdf_of(name)), str(expanded)).returncode in (
        0,
        3,
    )
    raw = expanded.read_bytes()
    pages = page_texts(pdf_of(name))
    assert len(pages) % 2 == 0 and raw.count(b"/FormXob.kofuBackground Do") == len(pages)
    assert raw.count(b"/kofuCopyTiles scn") == 1  # the tiles' pattern fills the background form's tiles
    header = contents[name].header
    micro = f"{header.municipality_name}{header.municipality_code}KOFU{header.unique_number}"
    for i, text in enumerate(pages):
        assert micro in squash(text), i
        assert header.unique_number in squash(text), i


def test_the_back_shows_the_latent_copy_word_around_its_codes_SEC_6(
    tmp_path: Path, pdf_of: Callable[[str], Path]
) -> None:
    """SEC-6, rendered by poppler: on the back, a tile clear of the codes and text breaks its lines where
    the word 複写 is (thick, sparse lines against hairlines); the codes themselves stay on white."""
    from PIL import Image

    from kofu.documents import pattern

    dpi = 100
    stem = tmp_path / "back"
    pdf = pdf_of("juminhyo_whole")
    run("pdftoppm", "-r", str(dpi), "-gray", "-png", "-f", "2", "-l", "2", "-singlefile", str(pdf), str(stem))
    image = Image.open(f"{stem}.png").convert("L")
    scale = dpi / 72
    x, y = min(pattern.tile_origins(), key=lambda o: (o[1], o[0]))  # lowest-left: under the codes
    crop = image.crop(
        (
            round(x * scale) + 2,
            image.height - round((y + pattern.TILE_H) * scale) + 2,
            round((x + pattern.TILE_W) * scale) - 2,
            image.height - round(y * scale) - 2,
        )
    )
    data = crop.tobytes()
    rows = [data[i : i + crop.width] for i in range(0, len(data), crop.width)]
    assert sum(1 for row in rows if max(row) - min(row) > 60) >= 6
