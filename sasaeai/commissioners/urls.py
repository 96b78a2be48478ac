app_name = "commissioners"

urlpatterns: list = []
