"""The public verification page's own words, in Japanese and English: one catalogue, not the template.

Verdicts and reasons keep their sentences in `kofu.verify.verdict.Status` and `kofu.rules.reasons.Reason`;
the certificate's items keep the words printed on the paper (`kofu.verify.printed`).
"""

from __future__ import annotations

from kofu.verify.language import Lang

WORDS: dict[str, tuple[str, str]] = {
    "title": ("証明書の確認", "Verify a certificate"),
    "intro": (
        "コンビニで交付された証明書のPDF、または裏面(コードが印刷された面)の写真をお選びください。"
        "ファイルは確認にのみ使い、保存しません。",
        "Choose the certificate's PDF, or a photo of its back (the side with the codes). "
        "The file is used only to check it and is not kept.",
    ),
    "file": ("証明書のPDF、または裏面の写真", "The certificate's PDF, or a photo of its back"),
    "submit": ("確認する", "Verify"),
    "switch": ("English", "日本語"),  # the link to the other language, in that language
    "result": ("確認の結果", "Result"),
    "hints": ("次のようにお試しください", "What to try"),
    "document": ("証明書の記録", "The certificate"),
    "content": ("原本の内容", "The original content"),
    "compare": (
        "お手元の証明書の表面と見比べてください。一致しない場合、表面が書き換えられています。",
        "Compare it with the front of the paper: where they differ, the front has been changed.",
    ),
    "sample_status": ("見本の証明書です", "Sample certificate"),
    "sample": (
        "これは見本(デモ用の証明書)です。法的な効力はありません。電子公印と内容は見本として確認できました。",
        "This is a sample (a demonstration certificate) and has no legal force. "
        "Its seal and content check out as a sample's.",
    ),
    "kind": ("証明書の種類", "Kind of certificate"),
    "number": ("証明書番号", "Certificate number"),
    "issued_on": ("発行日", "Date of issue"),
    "issuer": ("発行者", "Issued by"),
    "pages": ("ページ数", "Pages"),
    "verifiable_until": ("確認できる期限", "Verifiable until"),
}


def words(lang: Lang) -> dict[str, str]:
    """Every word of the page in `lang`."""
    index = 0 if lang == "ja" else 1
    return {key: pair[index] for key, pair in WORDS.items()}
