"""The document information dictionary: standard keys plus kofu's binding and codes.

/KofuOrderId and /KofuRequester bind the document to its order and requester (checked by the printer);
/KofuSigned and /KofuSealed repeat the back's codes so a PDF verifies without rendering it.
"""

from __future__ import annotations

from typing import Any

from reportlab.pdfbase.pdfdoc import PDFDate, PDFDictionary, PDFInfo, PDFName, PDFString

ORDER_KEY = "KofuOrderId"
REQUESTER_KEY = "KofuRequester"
NUMBER_KEY = "KofuNumber"
SIGNED_KEY = "KofuSigned"
SEALED_KEY = "KofuSealed"


class KofuInfo(PDFInfo):
    """ReportLab's info dictionary with kofu's extra text entries."""

    def __init__(self, title: str, author: str, extra: dict[str, str]) -> None:
        super().__init__()
        self.title = title
        self.author = author
        self.creator = "kofu"
        self.subject = title
        self.extra = extra

    def format(self, document: Any) -> bytes:
        entries: dict[str, Any] = {
            "Title": PDFString(self.title),
            "Author": PDFString(self.author),
            "Producer": PDFString(self.producer),
            "Creator": PDFString(self.creator),
            "Subject": PDFString(self.subject),
            "Trapped": PDFName(self.trapped),
        }
        entries["ModDate"] = entries["CreationDate"] = PDFDate(ts=document._timeStamp)
        entries.update({key: PDFString(text) for key, text in self.extra.items()})
        result: bytes = PDFDictionary(entries).format(document)
        return result
