"""Members in bulk from a sheet (CSV or Excel), all or nothing: `validate` → `apply`.

Columns (Japanese or English headers, any order):

    氏名 / name (required), ふりがな / kana, メールアドレス / email (required),
    役割 / role (required), 地区 / districts

A role is written as its Japanese label (システム管理者, 民生委員・児童委員 or 民生委員…) or its
code (system_admin). Districts are area names or codes separated by 、 ・ ; or ",";
welfare commissioners need at least one, other roles none. Members are matched by e-mail
address: a known member whose name, kana, role and districts are as in the sheet is
unchanged, so importing the same sheet twice changes nothing. New members get the e-mail
address as their user name, no usable password, and an invitation after commit.

An e-mail address already used by a user who is not a member of this tenant is an error:
a sheet of one city does not attach, rename or re-role an account another tenant manages
(an operator gives such a user a second membership with services.membership_add).

`validate` reads and checks everything and returns a `Preview` (no writes); `apply` saves a
preview without errors in one transaction. Both take plain data (bytes, ids), so a job
runner can call them later with the same results.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import translation
from django.utils.translation import gettext as _

from sasaeai.accounts.models import AREA_LIMITED_ROLES, Membership, Role, User
from sasaeai.accounts.policy import Actor
from sasaeai.audit.models import Action
from sasaeai.audit.services import audit_append, event_for
from sasaeai.core.csvio import CsvEncodingError, decode_csv_bytes
from sasaeai.core.models import Area, Tenant
from sasaeai.core.spreadsheet import csv_uncell
from sasaeai.core.tenancy import tenant_context

NAME, KANA, EMAIL, ROLE, DISTRICTS = "name", "kana", "email", "role", "districts"
HEADERS = {
    "氏名": NAME, "名前": NAME, "name": NAME,
    "ふりがな": KANA, "フリガナ": KANA, "kana": KANA,
    "メールアドレス": EMAIL, "メール": EMAIL, "email": EMAIL, "e-mail": EMAIL,
    "役割": ROLE, "role": ROLE,
    "地区": DISTRICTS, "担当地区": DISTRICTS, "districts": DISTRICTS, "district": DISTRICTS,
}  # fmt: skip
# How columns are named in messages: the sheet's Japanese headers.
COLUMN_TITLES = {NAME: "氏名", KANA: "ふりがな", EMAIL: "メールアドレス", ROLE: "役割",
                 DISTRICTS: "地区"}  # fmt: skip
REQUIRED = (NAME, EMAIL, ROLE)
DISTRICT_SEPARATORS = re.compile(r"[、・;；,，]")
# Names offices use besides the labels (市職員 reads oddly in a town).
ROLE_ALIASES = {
    "民生委員": Role.WELFARE_COMMISSIONER, "民生委員児童委員": Role.WELFARE_COMMISSIONER,
    "市町村職員": Role.MUNICIPAL_STAFF, "町職員": Role.MUNICIPAL_STAFF,
    "村職員": Role.MUNICIPAL_STAFF, "区職員": Role.MUNICIPAL_STAFF,
    "社会福祉協議会職員": Role.WELFARE_COUNCIL_STAFF, "CSW": Role.COMMUNITY_SOCIAL_WORKER,
    "コミュニティソーシャルワーカー": Role.COMMUNITY_SOCIAL_WORKER,
}  # fmt: skip
MAX_ROWS = 20_000
PROBLEM_LIMIT = 500


@dataclass(frozen=True)
class Problem:
    line: int  # 1 = the header row; 0 = the file as a whole
    column: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class MemberRow:
    line: int
    name: str
    kana: str
    email: str
    role: str
    area_ids: list[int]
    district_names: list[str]
    status: str = "new"  # new / changed / unchanged
    membership_id: int | None = None
    user_id: int | None = None
    changes: list[str] = field(default_factory=list)


@dataclass
class Preview:
    tenant_id: int
    encoding: str = ""
    rows: list[MemberRow] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def of_status(self, status: str) -> list[MemberRow]:
        return [row for row in self.rows if row.status == status]

    @property
    def counts(self) -> dict[str, int]:
        return {s: len(self.of_status(s)) for s in ("new", "changed", "unchanged")}

    def summary(self) -> dict:
        """JSON for MemberImport.summary: what the page shows (no e-mail addresses needed)."""
        return {
            "counts": self.counts,
            "encoding": self.encoding,
            "has_errors": self.has_errors,
            "errors": [asdict(p) for p in self.errors[:PROBLEM_LIMIT]],
            "error_count": len(self.errors),
            "warnings": [asdict(p) for p in self.warnings[:PROBLEM_LIMIT]],
            "rows": [
                {
                    "line": r.line, "name": r.name, "email": r.email, "status": r.status,
                    "role": str(Role(r.role).label), "districts": r.district_names,
                    "changes": r.changes, "membership_id": r.membership_id,
                }
                for r in self.rows if r.status != "unchanged"
            ],
        }  # fmt: skip


@dataclass(frozen=True)
class ImportResult:
    created: list[int]  # user ids of the new members (to invite)
    changed: int
    unchanged: int


class ImportRefused(ValidationError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(
            _("%(count)s error(s) in the sheet; nothing was saved.") % {"count": len(problems)}
        )


def _fold(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _problem(line: int, column: str, message: str) -> Problem:
    title = COLUMN_TITLES.get(column, column)
    if not line:
        return Problem(0, title, message)
    if title:
        text = _("Line %(line)s, column %(column)s: %(message)s")
    else:
        text = _("Line %(line)s: %(message)s")
    return Problem(line, title, text % {"line": line, "column": title, "message": message})


# ---- reading ----------------------------------------------------------------------------------


def read_rows(data: bytes, filename: str = "") -> tuple[list[str], list[tuple[int, list]], str]:
    """The header and the data rows with their line numbers, from .xlsx or CSV bytes."""
    if filename.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    text, encoding = decode_csv_bytes(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, line = [], 1
    header: list[str] | None = None
    for record in reader:
        start, line = line, reader.line_num + 1
        cells = [csv_uncell(cell) for cell in record]
        if header is None:
            header = cells
        else:
            rows.append((start, cells))
    return header or [], rows, encoding


def _read_xlsx(data: bytes) -> tuple[list[str], list[tuple[int, list]], str]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise CsvEncodingError(_("The Excel file cannot be read (%(error)s).") % {
            "error": type(error).__name__})  from error  # fmt: skip
    sheet = book.worksheets[0]
    header: list[str] | None = None
    rows = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if header is None:
            header = ["" if v is None else str(v) for v in values]
        else:
            rows.append((number, list(values)))
    book.close()
    return header or [], rows, "xlsx"


# ---- checking ---------------------------------------------------------------------------------


def _role_lookup() -> dict[str, str]:
    lookup = {}
    for role in Role:
        lookup[_fold(role.value).lower()] = role.value
        with translation.override("en"):
            lookup[_fold(str(role.label)).lower()] = role.value
        with translation.override("ja"):
            lookup[_fold(str(role.label))] = role.value
    lookup.update({_fold(k): v.value for k, v in ROLE_ALIASES.items()})
    return lookup


def _area_lookup(tenant_id: int) -> tuple[dict[str, list[Area]], dict[int, Area]]:
    by_key: dict[str, list[Area]] = {}
    by_id = {}
    for area in Area.objects.filter(tenant_id=tenant_id).only("id", "name", "code"):
        by_id[area.pk] = area
        keys = {_fold(area.name)}
        if area.code:
            keys.add(_fold(area.code))
        for key in keys:
            by_key.setdefault(key, []).append(area)
    return by_key, by_id


def validate(data: bytes, *, tenant: Tenant, filename: str = "", actor: Actor | None = None):
    """Read and check the whole sheet against the tenant's members and districts; no writes."""
    preview = Preview(tenant_id=tenant.pk)
    try:
        header, rows, preview.encoding = read_rows(data, filename)
    except (CsvEncodingError, csv.Error) as error:
        preview.errors.append(_problem(0, "", str(error)))
        return preview
    columns: dict[int, str] = {}
    for index, title in enumerate(header):
        key = HEADERS.get(_fold(title)) or HEADERS.get(_fold(title).lower())
        if key is None:
            if _fold(title):
                preview.warnings.append(_problem(1, _fold(title), _(
                    "This column is not known and is ignored.")))  # fmt: skip
        elif key in columns.values():
            preview.errors.append(_problem(1, key, _("The column appears twice.")))
        else:
            columns[index] = key
    missing = [key for key in REQUIRED if key not in columns.values()]
    for key in missing:
        preview.errors.append(_problem(1, key, _("This column is required.")))
    if missing or preview.errors:
        return preview
    if len(rows) > MAX_ROWS:
        preview.errors.append(_problem(0, "", _("The sheet has more than %(max)s rows.") % {
            "max": MAX_ROWS}))  # fmt: skip
        return preview

    with tenant_context(tenant.pk):
        _check_rows(preview, columns, rows, tenant, actor)
    return preview


def _check_rows(preview: Preview, columns: dict[int, str], rows, tenant: Tenant, actor) -> None:
    roles = _role_lookup()
    areas_by_key, areas_by_id = _area_lookup(tenant.pk)
    first_line_of: dict[str, int] = {}
    parsed: list[MemberRow] = []
    errors = preview.errors
    for line, cells in rows:
        values = {key: _fold(cells[i]) if i < len(cells) else "" for i, key in columns.items()}
        if not any(values.values()):
            continue  # blank line
        before = len(errors)
        name = re.sub(r"\s+", " ", values[NAME])
        if not name:
            errors.append(_problem(line, NAME, _("The name is empty.")))
        elif len(name) > 100:
            errors.append(_problem(line, NAME, _("The name is longer than 100 characters.")))
        kana = values.get(KANA, "")
        if len(kana) > 100:
            errors.append(_problem(line, KANA, _("The kana is longer than 100 characters.")))
        email = values[EMAIL].lower()
        if not email:
            errors.append(_problem(line, EMAIL, _("The e-mail address is empty.")))
        else:
            try:
                validate_email(email)
                if len(email) > 150:
                    raise ValidationError("too long")
                # The address becomes the user name, which allows fewer characters.
                User.username_validator(email)
            except ValidationError:
                errors.append(_problem(line, EMAIL, _("%(email)s is not a valid e-mail address.")
                                       % {"email": email}))  # fmt: skip
            else:
                if email in first_line_of:
                    errors.append(_problem(line, EMAIL, _(
                        "%(email)s appears on lines %(first)s and %(line)s.") % {
                        "email": email, "first": first_line_of[email], "line": line}))  # fmt: skip
                else:
                    first_line_of[email] = line
        role_text = values[ROLE]
        role = roles.get(role_text) or roles.get(role_text.lower())
        if not role_text:
            errors.append(_problem(line, ROLE, _("The role is empty.")))
        elif role is None:
            errors.append(_problem(line, ROLE, _("Unknown role: %(role)s") % {"role": role_text}))
        area_ids: list[int] = []
        names: list[str] = []
        for part in DISTRICT_SEPARATORS.split(values.get(DISTRICTS, "")):
            part = part.strip()
            if not part:
                continue
            found = areas_by_key.get(part, [])
            if not found:
                errors.append(_problem(line, DISTRICTS, _("Unknown district: %(name)s") % {
                    "name": part}))  # fmt: skip
            elif len(found) > 1:
                errors.append(_problem(line, DISTRICTS, _(
                    "%(name)s names several districts; write its code instead.") % {
                    "name": part}))  # fmt: skip
            elif found[0].pk not in area_ids:
                area_ids.append(found[0].pk)
                names.append(found[0].name)
        if role in AREA_LIMITED_ROLES and not area_ids and len(errors) == before:
            errors.append(_problem(line, DISTRICTS, _(
                "A welfare commissioner needs at least one district.")))  # fmt: skip
        if role and role not in AREA_LIMITED_ROLES and area_ids:
            errors.append(
                _problem(
                    line,
                    DISTRICTS,
                    _("Only welfare commissioners have districts; leave it empty for this role."),
                )
            )
        if len(errors) == before:
            parsed.append(MemberRow(line, name, kana, email, role, sorted(area_ids), names))
    _match_existing(preview, parsed, tenant, areas_by_id, actor)


def _match_existing(
    preview: Preview, parsed: list[MemberRow], tenant: Tenant, areas_by_id, actor: Actor | None
):
    emails = [row.email for row in parsed]
    users: dict[str, list[User]] = {}
    for start in range(0, len(emails), 500):
        chunk = emails[start : start + 500]
        found = User.objects.annotate(email_l=Lower("email"), username_l=Lower("username")).filter(
            Q(email_l__in=chunk) | Q(username_l__in=chunk)
        )
        for user in found:
            for key in {user.email_l, user.username_l} & set(chunk):
                users.setdefault(key, []).append(user)
    memberships = {
        m.user_id: m
        for m in Membership.objects.filter(
            tenant=tenant, user_id__in=[u.pk for group in users.values() for u in group]
        ).prefetch_related("areas")
    }
    for row in parsed:
        matches = {u.pk: u for u in users.get(row.email, [])}
        if not matches:
            preview.rows.append(row)
            continue
        if len(matches) > 1:
            preview.errors.append(
                _problem(
                    row.line,
                    EMAIL,
                    _("%(email)s is used by several users; ask the operator.")
                    % {"email": row.email},
                )
            )
            continue  # fmt: skip
        user = next(iter(matches.values()))
        membership = memberships.get(user.pk)
        if membership is None:
            preview.errors.append(_problem(row.line, EMAIL, _(
                "%(email)s is already used by a user who is not a member of this tenant.") % {
                "email": row.email}))  # fmt: skip
            continue
        row.user_id, row.membership_id = user.pk, membership.pk
        current_areas = sorted(area.pk for area in membership.areas.all())
        if user.display_name != row.name:
            row.changes.append(f"氏名: {user.display_name} → {row.name}")
        if user.display_name_kana != row.kana:
            row.changes.append(f"ふりがな: {user.display_name_kana} → {row.kana}")
        if membership.role != row.role and actor is not None and user.pk == actor.user_id:
            # An admin who demotes themselves by a typo locks the tenant's management out.
            preview.errors.append(
                _problem(
                    row.line,
                    ROLE,
                    _("This is your own account; the import does not change your own role."),
                )
            )
            continue  # fmt: skip
        if membership.role != row.role:
            row.changes.append(f"役割: {membership.get_role_display()} → {Role(row.role).label}")
        if current_areas != row.area_ids:
            old = "、".join(areas_by_id[i].name for i in current_areas if i in areas_by_id)
            row.changes.append(f"地区: {old} → {'、'.join(row.district_names)}")
        if not (membership.is_active and user.is_active):
            preview.warnings.append(_problem(row.line, EMAIL, _(
                "This member is disabled; the import does not enable them again.")))  # fmt: skip
        row.status = "changed" if row.changes else "unchanged"
        preview.rows.append(row)


# ---- saving -----------------------------------------------------------------------------------


def apply(preview: Preview, *, actor: Actor) -> ImportResult:
    """Save a checked preview in one transaction: all of it or, on any failure, nothing."""
    if preview.has_errors:
        raise ImportRefused(preview.errors)
    tenant_id = preview.tenant_id
    events = []
    with tenant_context(tenant_id), transaction.atomic():
        new_rows = preview.of_status("new")
        users = []
        for row in new_rows:
            user = User(username=row.email, email=row.email, display_name=row.name,
                        display_name_kana=row.kana)  # fmt: skip
            user.set_unusable_password()
            user.full_clean(validate_unique=False)
            users.append(user)
        # Uniqueness was checked in validate; the database's constraints stop a race.
        users = User.objects.bulk_create(users)
        if any(user.pk is None for user in users):  # a backend without RETURNING
            by_name = dict(User.objects.filter(username__in=[u.username for u in users])
                           .values_list("username", "pk"))  # fmt: skip
            for user in users:
                user.pk = by_name[user.username]
        memberships = []
        for row, user in zip(new_rows, users, strict=True):
            membership = Membership(user=user, tenant_id=tenant_id, role=row.role)
            membership.refresh_search_text()
            # The foreign keys are the tenant and the user just inserted: no query to check them.
            membership.full_clean(exclude=["tenant", "user"], validate_unique=False)
            memberships.append(membership)
        memberships = Membership.objects.bulk_create(memberships)
        if any(m.pk is None for m in memberships):
            by_user = dict(Membership.objects.filter(tenant_id=tenant_id, user__in=users)
                           .values_list("user_id", "pk"))  # fmt: skip
            for membership in memberships:
                membership.pk = by_user[membership.user_id]
        Through = Membership.areas.through
        Through.objects.bulk_create(
            [Through(membership_id=m.pk, area_id=area_id)
             for row, m in zip(new_rows, memberships, strict=True) for area_id in row.area_ids]
        )  # fmt: skip
        for membership, user in zip(memberships, users, strict=True):
            events.append(event_for(Action.CREATE, membership, subject=user,
                                    detail={"import": True}))  # fmt: skip
        changed = preview.of_status("changed")
        for row in changed:
            events.append(_apply_change(row, tenant_id))
        audit_append(actor=actor, events=events)
    return ImportResult(
        created=[u.pk for u in users],
        changed=len(changed),
        unchanged=len(preview.of_status("unchanged")),
    )


def _apply_change(row: MemberRow, tenant_id: int):
    membership = Membership.objects.select_related("user").get(pk=row.membership_id)
    user = membership.user
    fields = []
    if (user.display_name, user.display_name_kana) != (row.name, row.kana):
        user.display_name, user.display_name_kana = row.name, row.kana
        user.full_clean(exclude=["password"])
        user.save(update_fields=["display_name", "display_name_kana"])
        fields += ["display_name", "display_name_kana"]
    if membership.role != row.role:
        membership.role = row.role
        fields.append("role")
    membership.refresh_search_text()
    membership.save(update_fields=["role", "search_text"])
    if sorted(membership.areas.values_list("id", flat=True)) != row.area_ids:
        membership.areas.set(row.area_ids)
        fields.append("areas")
    return event_for(Action.UPDATE, membership, subject=user,
                     detail={"import": True, "fields": fields})  # fmt: skip


def send_invitations(*, user_ids: list[int], tenant: Tenant, sent_by: User | None, actor: Actor):
    """Invite the new members; called after the import's transaction has committed."""
    from sasaeai.accounts.invitations import invitations_send

    users = list(User.objects.filter(pk__in=user_ids).order_by("pk"))
    if users:
        invitations_send(users, tenant, sent_by, actor=actor)


def without_rows(summary: dict) -> dict:
    """The summary kept after an import is closed: counts, not the people's names and
    addresses (the member list shows who is there)."""
    return {key: value for key, value in (summary or {}).items() if key != "rows"}


def apply_stored(
    *,
    import_id: int,
    actor: Actor,
    sent_by_id: int | None,
    invite: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
) -> ImportResult | None:
    """Apply an uploaded MemberImport: check its bytes again, save, invite after commit.

    Takes ids only, so the page or a background job (accounts.jobs) can run it. Returns None
    (and keeps the new errors in the record's summary) when the sheet no longer passes: the
    members changed since the preview (someone added the same person, say).

    Inside an outer transaction (the job's) the invitations wait for that one to commit, so a
    job that fails afterwards sends no mail. A mail server that fails then does not undo the
    saved members: the error is logged and the invitations can be sent again from each
    member's page.
    """
    progress = progress or (lambda done, total, stage: None)
    from django.utils import timezone

    from sasaeai.accounts.models import ImportStatus, MemberImport
    from sasaeai.audit.services import audit_object

    # The record is locked: two confirmations of one upload save it once.
    with tenant_context(actor.tenant_id), transaction.atomic():
        record = MemberImport.objects.select_for_update().get(
            pk=import_id, tenant_id=actor.tenant_id
        )
        if record.status != ImportStatus.PREVIEWED:
            raise ValueError("This import was already applied or discarded.")
        tenant = Tenant.objects.get(pk=record.tenant_id)
        progress(0, 3, _("Checking the sheet again"))
        preview = validate(
            bytes(record.content), tenant=tenant, filename=record.filename, actor=actor
        )
        if preview.has_errors:
            record.summary = preview.summary()
            record.save(update_fields=["summary"])
            return None
        sent_by = User.objects.filter(pk=sent_by_id).first() if sent_by_id else None
        progress(1, 3, _("Saving %(count)d members") % {"count": len(preview.rows)})
        result = apply(preview, actor=actor)
        record.status, record.applied_at = ImportStatus.APPLIED, timezone.now()
        record.content = b""
        record.summary = {**without_rows(preview.summary()), "invited": len(result.created)}
        record.save(update_fields=["status", "applied_at", "content", "summary"])
        audit_object(actor, Action.UPDATE, record, detail={"status": "applied"})
        if invite and result.created:
            transaction.on_commit(
                lambda: send_invitations(
                    user_ids=result.created, tenant=tenant, sent_by=sent_by, actor=actor
                ),
                robust=True,
            )
        progress(2, 3, _("Saved"))
    return result
