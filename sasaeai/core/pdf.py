"""What every PDF the platform prints shares: the embedded Japanese font and page numbers.

The font is IPAex Gothic from the japanize-matplotlib package: only its file is read (the
package is never imported), and reportlab embeds it as a subset, so no system font is needed.
"""

import importlib.util
import threading
from pathlib import Path

from django.utils.translation import gettext as _
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT = "IPAexGothic"
_font_lock = threading.Lock()


def font_path() -> Path:
    """IPAex Gothic from the japanize-matplotlib package, found without importing it."""
    spec = importlib.util.find_spec("japanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("japanize-matplotlib is not installed: it ships the PDFs' font")
    return Path(spec.submodule_search_locations[0]) / "fonts" / "ipaexg.ttf"


def register_font() -> None:
    with _font_lock:
        if FONT in pdfmetrics.getRegisteredFontNames():
            return
        pdfmetrics.registerFont(TTFont(FONT, str(font_path())))  # embedded as a subset
        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(FONT, bold, italic, FONT)


class NumberedCanvas(Canvas):
    """Keeps every page until the end, then stamps a footer and 「n of total」 on each."""

    def __init__(self, *args, footer_left: str = "", margin: float = 36, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []
        self._footer_left = footer_left
        self._margin = margin

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._footer(total)
            super().showPage()
        super().save()

    def _footer(self, total: int):
        width, _height = self._pagesize
        self.saveState()
        self.setFont(FONT, 7.5)
        self.setFillGray(0.35)
        self.drawString(self._margin, 22, self._footer_left)
        page = _("Page %(number)s of %(total)s") % {"number": self._pageNumber, "total": total}
        self.drawRightString(width - self._margin, 22, page)
        self.restoreState()
