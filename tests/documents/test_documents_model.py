"""The content model, its canonical encoding, the sealed copy, line breaking and glyph coverage."""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from kofu.documents import codec, content, fonts, text
from kofu.documents.content import Content
from kofu.documents.keys import SealingKeys, sealing_keys
from kofu.documents.sealed import SealedError, open_sealed, seal


def all_fields() -> set[str]:
    names: set[str] = set()
    for obj in vars(content).values():
        if dataclasses.is_dataclass(obj) and isinstance(obj, type):
            names |= {f.name for f in dataclasses.fields(obj)}
    return names


def test_no_field_for_juminhyo_code_or_my_number_exists_crt1() -> None:
    forbidden = re.compile(r"code|number|kojin|mynumber|my_number|bango", re.I)
    allowed = {"municipality_code", "unique_number"}
    assert {n for n in all_fields() if forbidden.search(n)} == allowed


def test_every_kind_round_trips_through_canonical_cbor(contents: dict[str, Content]) -> None:
    for item in contents.values():
        data = codec.encode(item)
        assert codec.decode(data) == item
        assert codec.encode(codec.decode(data)) == data
        assert codec.digest(item) == codec.hash_bytes(data)


def test_any_change_of_content_changes_the_digest(contents: dict[str, Content]) -> None:
    item = contents["juminhyo_whole"]
    assert isinstance(item, content.JuminhyoContent)
    changed = dataclasses.replace(item, address=item.address + "X")
    assert codec.digest(changed) != codec.digest(item)


def test_decode_rejects_what_is_not_content() -> None:
    with pytest.raises(codec.CodecError):
        codec.decode(b"\xa1\x61x\x01")


def test_content_sealed_before_a_field_was_added_still_decodes_sec6(contents: dict[str, Content]) -> None:
    """A paper printed before a field with a default existed (the 振り仮名, 通称) still verifies: its
    bytes decode with the default; an unknown field or a missing field without a default does not."""
    import cbor2

    item = contents["koseki_whole_large"]
    raw = cbor2.loads(codec.encode(item))
    del raw["family_kana"]
    for person in raw["persons"]:
        del person["name_kana"]
    older = cbor2.dumps(raw, canonical=True)
    decoded = codec.decode(older)
    assert isinstance(decoded, content.KosekiContent) and decoded.family_kana is None
    assert all(p.name_kana is None for p in decoded.persons)
    with pytest.raises(codec.CodecError):
        codec.decode(cbor2.dumps({**raw, "unknown": 1}, canonical=True))
    with pytest.raises(codec.CodecError):
        codec.decode(cbor2.dumps({k: v for k, v in raw.items() if k != "hittousha"}, canonical=True))


def test_sealed_copy_opens_only_with_its_key_and_number() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    sealed = seal(b"content" * 50, key.public_key(), b"number-1")
    assert open_sealed(sealed, key, b"number-1") == b"content" * 50
    with pytest.raises(SealedError):
        open_sealed(sealed, key, b"number-2")
    with pytest.raises(SealedError):
        open_sealed(sealed, ec.generate_private_key(ec.SECP256R1()), b"number-1")
    tampered = bytearray(sealed)
    tampered[-3] ^= 1
    with pytest.raises(SealedError):
        open_sealed(bytes(tampered), key, b"number-1")


DATE = st.builds(
    lambda era, y, m, d, fw: (
        f"{era}{y}年{m}月{d}日".translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        if fw
        else f"{era}{y}年{m}月{d}日"
    ),
    st.sampled_from(["昭和", "平成", "令和"]),
    st.integers(1, 64),
    st.integers(1, 12),
    st.integers(1, 31),
    st.booleans(),
)
NUMBER = st.one_of(
    st.integers(0, 10**9).map(lambda n: f"{n:,}円"),
    st.integers(1, 99999).map(
        lambda n: f"{n}番地の{n % 97 + 1}".translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    ),
)
FILLER = st.text(alphabet="宮城県黒川郡大衡村字平林あいうえお、。（）　", min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(FILLER, st.one_of(DATE, NUMBER)), min_size=1, max_size=8), st.integers(40, 300))
def test_lines_never_break_inside_a_date_or_a_number(parts: list[tuple[str, str]], width: int) -> None:
    source = "".join(a + b for a, b in parts)
    lines = text.wrap(source, width, fonts.MINCHO, 9)
    assert "".join(lines).replace("\u3000", "") == source.replace("\u3000", "")
    for _, atom in parts:
        assert any(atom in line for line in lines), (atom, lines)


def test_glyph_coverage_of_everything_the_village_generator_can_print() -> None:
    from kofu.registry import vocabulary

    chars = "".join(sorted(vocabulary.all_characters())) + "髙﨑𠮷（）【】：・ー－０１２３４５６７８９"
    assert fonts.missing_glyphs(chars) == set()
    assert fonts.font_for("𠮷", fonts.MINCHO) == fonts.IPAMJ  # IPAex lacks it: per-character fallback
    assert fonts.runs("𠮷田", fonts.MINCHO) == [(fonts.IPAMJ, "𠮷"), (fonts.MINCHO, "田")]


def test_keys_are_owner_only_and_loaded_once(tmp_path: Path, doc_keys: SealingKeys) -> None:
    first = sealing_keys(tmp_path, "044245", "大衡村")
    assert sealing_keys(tmp_path, "044245", "大衡村") is first
    folder = tmp_path / "keys" / "documents" / "044245"
    for path in folder.glob("*.pem"):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert first.cose_kid != doc_keys.cose_kid  # another home, another key set


def test_every_generator_character_renders_and_extracts_back(tmp_path: Path) -> None:
    """All names, kana and address characters drawn with per-character fallback come back from pdftotext."""
    import io

    from reportlab.pdfgen.canvas import Canvas

    from doc_support import run
    from kofu.registry import vocabulary

    fonts.register_fonts()
    chars = [*sorted(vocabulary.all_characters() - {" ", "\u3000"}), "髙", "﨑", "𠮷"]
    buf = io.BytesIO()
    canvas = Canvas(buf, initialFontName=fonts.MINCHO)
    per_line = 40
    for i in range(0, len(chars), per_line):
        if i and i % (per_line * 60) == 0:
            canvas.showPage()
        y = 800 - (i // per_line % 60) * 13
        fonts.draw(canvas, 20, y, "".join(chars[i : i + per_line]), fonts.MINCHO, 10)
    canvas.save()
    pdf = tmp_path / "glyphs.pdf"
    pdf.write_bytes(buf.getvalue())
    extracted = set(run("pdftotext", str(pdf), "-").stdout.decode())
    missing = {c for c in chars if c not in extracted}
    assert not missing, sorted(missing)[:20]


def test_the_preset_dictionary_is_frozen_and_shrinks_the_sealed_copy(contents: dict[str, Content]) -> None:
    import hashlib
    import zlib

    from kofu.documents import sealed_dictionary

    digest = hashlib.sha256(sealed_dictionary.DICTIONARY_V2).hexdigest()
    assert digest == "f2ee5c1452ff7d4cd5b3a23aef2bc6e4b2923b473af980f9fe21aa82915c47ed"  # never regenerate
    key = ec.generate_private_key(ec.SECP256R1())
    plain = codec.encode(contents["juminhyo_whole"])
    sealed = seal(plain, key.public_key(), b"n")
    assert open_sealed(sealed, key, b"n") == plain
    assert len(sealed) < len(zlib.compress(plain, 9))  # smaller than without the dictionary
