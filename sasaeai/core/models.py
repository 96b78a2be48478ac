from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sasaeai.core.text import normalize_for_search


class Tenant(models.Model):
    """A municipality. Its welfare council's staff work in the same tenant."""

    code = models.CharField(_("local government code"), max_length=6, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_kana = models.CharField(_("name (kana)"), max_length=100, blank=True)
    prefecture = models.CharField(_("prefecture"), max_length=10)
    welfare_council_name = models.CharField(_("welfare council"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")

    def __str__(self):
        return self.name


class TenantScoped(models.Model):
    """Base of every row of personal or operational data.

    Concrete subclasses get PostgreSQL row-level security automatically (core.rls) and are
    filtered by tenant in accounts.policy. `policy_area_field` names the path to an Area for
    roles limited to their districts (welfare commissioners); None means the model is not
    divided by district.
    """

    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("tenant")
    )

    policy_area_field: str | None = None
    # Rows that may be written before a tenant is chosen (audit entries of a login).
    rls_allows_null_tenant = False

    class Meta:
        abstract = True


class AreaKind(models.TextChoices):
    DISTRICT = "district", _("district")
    ELEMENTARY_SCHOOL_DISTRICT = "elementary_school_district", _("elementary school district")
    JUNIOR_HIGH_SCHOOL_DISTRICT = "junior_high_school_district", _("junior high school district")
    DAILY_LIFE_AREA = "daily_life_area", _("daily life area")
    COMMISSIONER_DISTRICT = "commissioner_district", _("welfare commissioner district")


class Area(TenantScoped):
    kind = models.CharField(_("kind"), max_length=40, choices=AreaKind.choices)
    code = models.CharField(_("code"), max_length=40, blank=True)
    name = models.CharField(_("name"), max_length=100)
    name_kana = models.CharField(_("name (kana)"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent area"),
    )
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)
    centroid_lat = models.FloatField(_("centroid latitude"), null=True, blank=True)
    centroid_lon = models.FloatField(_("centroid longitude"), null=True, blank=True)
    # Bounding box of the boundary, so that point lookups narrow candidates in SQL.
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    min_lon = models.FloatField(null=True, blank=True, editable=False)
    max_lon = models.FloatField(null=True, blank=True, editable=False)
    search_text = models.TextField(editable=False, default="")

    policy_area_field = "id"

    class Meta:
        ordering = ["kind", "name_kana", "name"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind", "name"], name="area_unique_name")
        ]
        indexes = [models.Index(fields=["tenant", "kind"])]

    def __str__(self):
        return self.name

    def refresh_search_text(self):
        self.search_text = normalize_for_search(f"{self.name} {self.name_kana} {self.code}")


class AreaImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("previewed")
    APPLIED = "applied", _("applied")
    DISCARDED = "discarded", _("discarded")


class AreaImport(TenantScoped):
    """An uploaded districts file between its preview and its application (core.area_import).

    The page keeps the file here, reached by an unguessable token inside the tenant; applying
    reads these bytes again and checks them against the areas as they are at that moment.
    """

    token = models.UUIDField(unique=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(max_length=200)
    # A single file as uploaded; the parts of a shapefile uploaded separately as one zip.
    content = models.BinaryField()
    options = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=AreaImportStatus.choices, default=AreaImportStatus.PREVIEWED
    )
    summary = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    policy_area_field = None

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("area import")
        verbose_name_plural = _("area imports")

    def __str__(self):
        return self.filename
