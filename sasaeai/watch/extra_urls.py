"""Watch-over partners (見守り協定) and mutual aid maps, in the watch namespace."""

urlpatterns: list = []
