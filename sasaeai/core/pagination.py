"""The API's limit/offset pagination, with an offset and limit the database can take."""

from ninja import Field, Schema
from ninja.conf import settings as ninja_settings
from ninja.pagination import LimitOffsetPagination

# Far beyond any list of ours, far below the 64-bit column limit the database would refuse.
MAX_OFFSET = 1_000_000
MAX_LIMIT = 1_000


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """ninja's limit/offset: an absurd offset is a 422, a limit above MAX_LIMIT is cut to it."""

    class Input(Schema):
        limit: int = Field(ninja_settings.PAGINATION_PER_PAGE, ge=1)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def __init__(self, max_limit: int = MAX_LIMIT, **kwargs):
        super().__init__(max_limit=max_limit, **kwargs)
