"""Issue 26 item 5: the decrypted content in the words printed on the paper (kofu.verify.printed)."""

from __future__ import annotations

import pytest

from kofu.documents.content import Content
from kofu.rules.wareki import to_wareki
from kofu.verify.printed import Item, sections


def _items(content: Content) -> list[Item]:
    return [item for block in sections(content) for item in block.items]


@pytest.mark.parametrize(
    "name",
    ["juminhyo_whole", "inkan", "kazei", "koseki_whole_large", "fuhyo_honseki", "juminhyo_chosen_honseki"],
)
def test_issue26_every_kind_is_printed_words_without_identifiers(
    name: str, contents: dict[str, Content]
) -> None:
    """No field name, boolean, ISO date or header identifier reaches a person, for any kind."""
    header = contents[name].header
    for item in _items(contents[name]):
        assert item.label.isascii() is False, item  # a printed label, not a field name
        shown = item.value
        assert shown not in ("True", "False") and "-" not in shown.replace("ー", ""), item
        assert header.order_id not in shown and header.requester_cert_digest not in shown


def test_issue26_each_kind_keeps_its_own_printed_labels(contents: dict[str, Content]) -> None:
    """A family register prints 名, the income certificate 年税額 and 所得控除合計, dates in 和暦."""
    koseki = {i.label for i in _items(contents["koseki_individual"])}
    assert "名" in koseki and "証明の範囲" in koseki
    kazei = {i.label: i.value for i in _items(contents["kazei"])}
    taxes = contents["kazei"]
    assert kazei["年税額"] == f"{taxes.taxes.total:,}円"  # type: ignore[union-attr]
    assert "所得控除合計" in kazei and kazei["年度"].endswith("年度")
    inkan = {i.label: i for i in _items(contents["inkan"])}
    assert inkan["印影"].image and inkan["生年月日"].value == to_wareki(contents["inkan"].birth_date)  # type: ignore[union-attr]
