"""Every name, kana and address fragment the village generator can produce.

Taken once from Faker's ja_JP provider (names with their readings) plus Ōhira's own place names, so the
documents helper can check that its fonts cover every glyph a generated certificate may print.
"""

from __future__ import annotations

from dataclasses import dataclass

from faker.providers.address.ja_JP import Provider as _AddressProvider
from faker.providers.person.ja_JP import Provider as _PersonProvider


def to_hiragana(katakana: str) -> str:
    """ふりがな in hiragana from Faker's katakana readings."""
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in katakana)


@dataclass(frozen=True)
class Name:
    """A name in kanji with its reading in hiragana."""

    kanji: str
    kana: str


SURNAMES: tuple[Name, ...] = tuple(
    Name(kanji, to_hiragana(kana)) for kanji, kana, _roman in _PersonProvider.last_name_pairs
)
MALE_NAMES: tuple[Name, ...] = tuple(
    Name(kanji, to_hiragana(kana)) for kanji, kana, _roman in _PersonProvider.first_name_male_pairs
)
FEMALE_NAMES: tuple[Name, ...] = tuple(
    Name(kanji, to_hiragana(kana)) for kanji, kana, _roman in _PersonProvider.first_name_female_pairs
)
# Registered forms with characters outside JIS X 0208 level 1/2 or outside the BMP (𠮷 is U+20BB7).
RARE_SURNAMES: tuple[Name, ...] = (
    Name("髙橋", "たかはし"),
    Name("山﨑", "やまさき"),
    Name("𠮷田", "よしだ"),
    Name("髙木", "たかぎ"),
    Name("宮﨑", "みやざき"),
    Name("𠮷川", "よしかわ"),
)
# Share of households whose surname is drawn from RARE_SURNAMES (at least one household in any village).
RARE_KANJI_RATE = 0.005


@dataclass(frozen=True)
class Municipality:
    """A municipality the generator can build: its code and how its addresses and 本籍 are written."""

    key: str
    code: str
    prefix: str  # 宮城県黒川郡大衡村
    districts: tuple[str, ...]  # 大字
    sections: tuple[str, ...]  # 字


OHIRA = Municipality(
    key="ohira",
    code="044245",
    prefix="宮城県黒川郡大衡村",
    districts=("大衡", "大瓜", "奥田", "駒場", "大森"),
    sections=("平林", "中央", "萱刈場", "沢田", "新田", "中峯", "亀岡", "蔦ケ沢", "八志沢", "上大ノ木"),
)
# The fictional second municipality of the bundled rulebooks (kofu/rules/rulebooks/kitayama.toml).
KITAYAMA = Municipality(
    key="kitayama",
    code="993018",
    prefix="架空県北山町",
    districts=("北山", "南山", "東原"),
    sections=("一丁目", "二丁目", "三丁目", "四丁目", "上町", "下町", "本町"),
)
MUNICIPALITIES: dict[str, Municipality] = {m.key: m for m in (OHIRA, KITAYAMA)}

# Places elsewhere in Japan for former addresses, births and non-residents' current addresses.
OTHER_CITIES: tuple[str, ...] = (
    "宮城県仙台市青葉区",
    "宮城県仙台市泉区",
    "宮城県富谷市",
    "宮城県黒川郡大和町",
    "宮城県黒川郡大郷町",
    "宮城県大崎市",
    "宮城県石巻市",
    "山形県山形市",
    "福島県福島市",
    "岩手県盛岡市",
    "東京都千代田区",
    "東京都世田谷区",
    "神奈川県横浜市港北区",
)
TOWNS: tuple[str, ...] = tuple(_AddressProvider.towns)
CHOME: tuple[str, ...] = ("一丁目", "二丁目", "三丁目", "四丁目", "五丁目")
BUILDINGS: tuple[str, ...] = tuple(_AddressProvider.building_names)

# Fixed words that appear in generated records (relationships, reasons, event places...).
HOUSEHOLD_RELATIONSHIPS: tuple[str, ...] = ("世帯主", "妻", "夫", "子", "父", "母", "子の妻", "孫", "同居人")
KOSEKI_RELATIONSHIPS: tuple[str, ...] = (
    "夫",
    "妻",
    "長男",
    "二男",
    "三男",
    "四男",
    "長女",
    "二女",
    "三女",
    "四女",
)
MOVE_REASONS: tuple[str, ...] = ("出生", "転入", "転居", "転出", "死亡", "職権記載")
NOTIFIERS: tuple[str, ...] = ("父", "母", "夫", "妻", "同居者", "親族")
CONVERSION_REASON = "平成６年法務省令第５１号附則第２条第１項による改製"
REMOVAL_REASONS: tuple[str, ...] = ("婚姻", "死亡", "分籍", "転籍")


# (国籍・地域, family names, (male, female) given names), each with its katakana reading
FOREIGN_PEOPLE: tuple[
    tuple[str, tuple[tuple[str, str], ...], tuple[tuple[str, str], tuple[str, str]]], ...
] = (
    (
        "ベトナム",
        (("NGUYEN", "グエン"), ("TRAN", "チャン"), ("LE", "レ")),
        (("VAN AN", "ヴァン アン"), ("THI LAN", "ティ ラン")),
    ),
    (
        "中国",
        (("WANG", "ワン"), ("LI", "リー"), ("ZHANG", "チャン")),
        (("WEI", "ウェイ"), ("XIU YING", "シウ イン")),
    ),
    (
        "韓国",
        (("KIM", "キム"), ("PARK", "パク"), ("LEE", "イ")),
        (("MINJUN", "ミンジュン"), ("SEOYEON", "ソヨン")),
    ),
    (
        "フィリピン",
        (("SANTOS", "サントス"), ("REYES", "レイエス")),
        (("JOSE", "ホセ"), ("MARIA CLARA", "マリア クララ")),
    ),
    (
        "ブラジル",
        (("SILVA", "シルバ"), ("OLIVEIRA", "オリベイラ")),
        (("LUCAS", "ルーカス"), ("ANA PAULA", "アナ パウラ")),
    ),
    (
        "ネパール",
        (("GURUNG", "グルン"), ("SHRESTHA", "シュレスタ")),
        (("BIKASH", "ビカス"), ("SITA", "シタ")),
    ),
)
# (在留資格, 在留期間, years until the end, 区分); 永住者 has no period and no end
RESIDENCE_STATUSES: tuple[tuple[str, str | None, int | None, str], ...] = (
    ("永住者", None, None, "中長期在留者"),
    ("技能実習第2号ロ", "1年", 1, "中長期在留者"),
    ("特定技能1号", "1年", 1, "中長期在留者"),
    ("留学", "2年3月", 2, "中長期在留者"),
    ("技術・人文知識・国際業務", "5年", 5, "中長期在留者"),
    ("日本人の配偶者等", "3年", 3, "中長期在留者"),
)
FOREIGN_ALIASES = (("山田　花子", "やまだ　はなこ"), ("金田　健一", "かねだ　けんいち"))


# 身分事項 titles of a register's events, as printed and as a removal's reason
KOSEKI_EVENT_TITLES = {
    "birth": "出生",
    "marriage": "婚姻",
    "divorce": "離婚",
    "adoption": "養子縁組",
    "death": "死亡",
    "spouse_death": "配偶者の死亡",
    "separation": "分籍",
}


def all_text() -> frozenset[str]:
    """Every string fragment the generator may put on a certificate (for glyph-coverage tests)."""
    words: set[str] = set()
    for name in (*SURNAMES, *MALE_NAMES, *FEMALE_NAMES, *RARE_SURNAMES):
        words.update((name.kanji, name.kana))
    for m in MUNICIPALITIES.values():
        words.update((m.prefix, *m.districts, *m.sections))
    words.update(OTHER_CITIES)
    words.update(TOWNS)
    words.update(CHOME)
    words.update(BUILDINGS)
    words.update(HOUSEHOLD_RELATIONSHIPS)
    words.update(KOSEKI_RELATIONSHIPS)
    words.update(MOVE_REASONS)
    words.update(NOTIFIERS)
    words.update(REMOVAL_REASONS)
    for nationality, families, givens in FOREIGN_PEOPLE:
        words.add(nationality)
        words.update(w for pair in (*families, *givens) for w in pair)
    for status, period, _, category in RESIDENCE_STATUSES:
        words.update(w for w in (status, period, category) if w)
    words.update(w for pair in FOREIGN_ALIASES for w in pair)
    words.update((CONVERSION_REASON, "番地", "番", "号", "字", "０１２３４５６７８９", "0123456789-"))
    return frozenset(words)


def all_characters() -> frozenset[str]:
    """Every character of `all_text()`."""
    return frozenset("".join(all_text()))
