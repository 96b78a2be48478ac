"""QR codes of a course's questionnaire link (segno: no network, no image library)."""

import io

import segno


def qr_svg_uri(url: str) -> str:
    return segno.make(url, micro=False).svg_data_uri(scale=4)


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, micro=False).save(buffer, kind="png", scale=6)
    return buffer.getvalue()
