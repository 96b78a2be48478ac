"""Welfare commissioners' activity records (民生委員・児童委員活動記録, docs/commissioners.md)."""
