from sasaeai.watch import extra_urls

app_name = "watch"

urlpatterns: list = [
    *extra_urls.urlpatterns,
]
