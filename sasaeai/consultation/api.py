"""The consultation API under /api/v1/consultation/: the same services and policy as the pages."""

from ninja import Router

router = Router(tags=["consultation"])
