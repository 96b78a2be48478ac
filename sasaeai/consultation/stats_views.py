"""Anonymous statistics pages and their CSV / Excel export."""

urlpatterns = []
