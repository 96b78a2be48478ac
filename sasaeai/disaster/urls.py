"""/disaster/: the register and its recipients (register_urls), disaster mode and safety checks
(emergency_urls), evacuation plans and welfare shelters (evacuation_urls), one namespace."""

from sasaeai.disaster import emergency_urls, evacuation_urls, register_urls

app_name = "disaster"

urlpatterns = [
    *register_urls.urlpatterns,
    *emergency_urls.urlpatterns,
    *evacuation_urls.urlpatterns,
]
