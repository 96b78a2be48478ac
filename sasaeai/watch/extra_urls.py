"""Watch-over partners (見守り協定) and mutual aid maps, in the watch namespace."""

from django.urls import path

from sasaeai.watch import map_views, partner_views

urlpatterns: list = [
    path("partners/", partner_views.partner_list, name="partner_list"),
    path("partners/<int:pk>/", partner_views.partner_detail, name="partner_detail"),
    path("reports/", partner_views.report_list, name="report_list"),
    path("reports/<int:pk>/", partner_views.report_detail, name="report_detail"),
    path("report/<str:tenant_code>/", partner_views.report_form, name="report_form"),
    path("maps/", map_views.map_list, name="map_list"),
    path("maps/<int:pk>/", map_views.map_detail, name="map_detail"),
    path("maps/<int:pk>/map.svg", map_views.map_svg, name="map_svg"),
    path("maps/<int:pk>/map.pdf", map_views.map_pdf, name="map_pdf"),
]
