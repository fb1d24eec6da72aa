"""The planner's pages: choose a layer, an area, a date, a format and a CRS; get the file.

A small export is answered by the public export URL at once (the form redirects there);
a large one becomes a background job (parcels.publishing.jobs) with a page that follows its
progress and offers the file when it is done. Planners use these pages, and registrars,
who oversee what leaves the register.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from landinfo.dates import parse_day, register_day
from landinfo.profiles import get_profile
from landinfo.srid import STORAGE_SRID, WEB_MERCATOR, WGS84
from parcels.models import AdministrativeUnit, ExportJob, ZoningZone
from parcels.publishing import exports, jobs
from parcels.publishing.layers import LAYERS, InvalidLayerRequest
from parcels.views import map_config

PLANNER_PERMISSION = "parcels.export_layers"

# The CRSs offered first; any other EPSG code may be typed in.
COMMON_CRS: dict[int, Any] = {
    WGS84: gettext_lazy("WGS 84 (longitude, latitude)"),
    WEB_MERCATOR: gettext_lazy("Web Mercator (web maps)"),
}
STATUS_LABELS = {
    ExportJob.Status.QUEUED: gettext_lazy("Queued"),
    ExportJob.Status.RUNNING: gettext_lazy("Running"),
    ExportJob.Status.DONE: gettext_lazy("Done"),
    ExportJob.Status.FAILED: gettext_lazy("Failed"),
}


def is_registrar(user: User | AnonymousUser) -> bool:
    """Return whether `user` oversees the register: registrars may download any job's file."""
    return jobs.may_oversee(user)


def may_plan(user: User | AnonymousUser) -> bool:
    """Return whether `user` may use the planner's pages (planners and registrars)."""
    return user.has_perm(PLANNER_PERMISSION)


def planner_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send anonymous visitors to sign in; refuse (403) the signed-in who may not plan."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_plan(request.user):
            raise PermissionDenied(_("Exports are for planners and registrars."))
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def sync_max_features() -> int:
    return int(settings.LANDINFO.get("EXPORT_SYNC_MAX_FEATURES", 50000))


# The storage CRSs of the profiles, as their officers name them (EPSG's names are English).
NATIONAL_CRS: dict[int, Any] = {
    5897: gettext_lazy("VN-2000, TM-3 projection, central meridian 105°"),
    5186: gettext_lazy("Korea 2000, Central Belt 2010"),
}


def crs_name(srid: int) -> str:
    """Return the name of `srid` in the request's language, else its EPSG name, else its code."""
    if srid in NATIONAL_CRS:
        return str(NATIONAL_CRS[srid])
    if srid in COMMON_CRS:
        return str(COMMON_CRS[srid])
    return _epsg_name(srid)


@functools.cache
def _epsg_name(srid: int) -> str:
    """Return the EPSG name of `srid` ("VN-2000 / UTM zone 48N"), or its code."""
    try:
        import pyproj

        return str(pyproj.CRS.from_epsg(srid).name)
    except Exception:  # an unknown code is refused by the export itself, with its reason
        return f"EPSG:{srid}"


def crs_choices() -> list[tuple[str, str]]:
    """Return (code, label) of the CRSs offered: the storage CRS first."""
    storage = _("%(name)s (the register's CRS)") % {"name": crs_name(STORAGE_SRID)}
    choices = [(str(STORAGE_SRID), f"EPSG:{STORAGE_SRID} — {storage}")]
    choices += [(str(srid), f"EPSG:{srid} — {label}") for srid, label in COMMON_CRS.items()]
    return choices


def format_choices() -> list[tuple[str, str]]:
    return [(key, info.local_title) for key, info in exports.FORMATS.items()]


def export_url(layer: str, fmt: str, params: Mapping[str, str]) -> str:
    """Return the public export URL of `layer` as `fmt` with `params`."""
    query = urlencode(params)
    return f"/exports/{layer}.{fmt}" + (f"?{query}" if query else "")


def form_params(data: Mapping[str, Any]) -> dict[str, str]:
    """Return the export parameters of the planner's form (the CRS choice made one code)."""
    values = {key: data.get(key, "") for key in jobs.PARAM_KEYS}
    if data.get("srs") == "other":
        values["srs"] = str(data.get("srs_other", "")).strip().upper().removeprefix("EPSG:")
    if values.get("bbox"):
        # The rectangle drawn on the map is in longitude/latitude.
        values["bbox-crs"] = values.get("bbox-crs") or str(WGS84)
    layer = LAYERS.get(str(data.get("layer", "")))
    if layer is not None and not layer.needs_period:
        values.pop("start", None)
        values.pop("end", None)
    if layer is not None and layer.needs_period:
        values.pop("as_of", None)
    if layer is not None:
        # A filter the layer lacks is not a request for it: the form shows every filter.
        for name in ("admin_unit", "land_use", "zoning"):
            if name not in layer.filters:
                values.pop(name, None)
    return jobs.clean_params(values)


def _form_context(request: HttpRequest, values: Mapping[str, Any]) -> dict[str, Any]:
    profile = get_profile()
    offered = [code for code, _label in crs_choices()]
    srs = str(values.get("srs", "")) or str(STORAGE_SRID)
    return {
        "layers": list(LAYERS.values()),
        "format_options": list(exports.FORMATS.values()),
        "crs_choices": crs_choices(),
        "srs_selected": srs if srs in offered else "other",
        "srs_other": "" if srs in offered else srs,
        "admin_units": AdministrativeUnit.objects.filter(level__lte=3).order_by("code"),
        "land_uses": profile.land_uses,
        "zoning_codes": (
            ZoningZone.objects.filter(valid_to__isnull=True)
            .order_by("code")
            .values_list("code", flat=True)
            .distinct()
        ),
        "values": values,
        "sync_max": sync_max_features(),
        "map_config": map_config(),
    }


@planner_required
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """Show the export form; on submit, download at once or queue a background job."""
    if request.method == "GET":
        return render(request, "planner/home.html", _form_context(request, request.GET))
    layer, fmt = request.POST.get("layer", ""), request.POST.get("format", "")
    params = form_params(request.POST)
    try:
        found, _format, parsed = jobs.validate(layer, fmt, params)
        count = exports.estimate(parsed.query(found))
        if count <= sync_max_features():
            return redirect(export_url(layer, fmt, params))
        job = jobs.enqueue(cast(User, request.user), layer, fmt, params)
    except InvalidLayerRequest as error:
        context = _form_context(request, request.POST)
        context["error"] = str(error)
        return render(request, "planner/home.html", context, status=400)
    return redirect("planner:job", pk=job.pk)


_DAYS = ("as_of", "start", "end")


def _readable_day(text: str) -> str:
    """Return the day `text` (YYYY-MM-DD) as the page's language writes it; else `text`."""
    try:
        return register_day(parse_day(text))
    except ValueError:
        return text  # a bad request is shown as typed, beside its reason


def _described(layer: str, fmt: str, params: Mapping[str, str]) -> list[tuple[str, str]]:
    """Return the export's parameters as (label, value) rows for a person to read."""
    labels = {
        "srs": _("CRS"),
        "bbox": _("Area (bbox)"),
        "bbox-crs": _("CRS of the area"),
        "admin_unit": _("Administrative unit"),
        "land_use": _("Land use"),
        "zoning": _("Zoning"),
        "as_of": _("As of"),
        "start": _("From"),
        "end": _("To"),
    }
    found = LAYERS.get(layer)
    rows = [
        (_("Layer"), found.local_title if found else layer),
        (_("Format"), dict(format_choices()).get(fmt, fmt)),
    ]
    if "srs" not in params:
        rows.append((_("CRS"), f"EPSG:{STORAGE_SRID} — {crs_name(STORAGE_SRID)}"))
    for key, value in params.items():
        if key in ("srs", "bbox-crs") and value.isdigit():
            value = f"EPSG:{value} — {crs_name(int(value))}"
        elif key in _DAYS:
            value = _readable_day(value)
        rows.append((labels.get(key, key), value))
    return rows


@planner_required
@require_http_methods(["GET", "POST"])
def new_job(request: HttpRequest) -> HttpResponse:
    """Show an export too large to download at once, and queue it on request (POST)."""
    data = request.POST if request.method == "POST" else request.GET
    layer, fmt = data.get("layer", ""), data.get("format", "")
    params = jobs.clean_params(data)
    error = None
    try:
        jobs.validate(layer, fmt, params)
    except InvalidLayerRequest as refused:
        error = str(refused)
    if request.method == "POST" and error is None:
        job = jobs.enqueue(cast(User, request.user), layer, fmt, params)
        return redirect("planner:job", pk=job.pk)
    context = {
        "layer": layer,
        "format": fmt,
        "params": params,
        "rows": _described(layer, fmt, params),
        "error": error,
        "edit_url": reverse("planner:home")
        + "?"
        + urlencode({"layer": layer, "format": fmt, **params}),
    }
    return render(request, "planner/new_job.html", context, status=400 if error else 200)


def _job_for(request: HttpRequest, pk: int) -> ExportJob:
    """Return job `pk` if the user asked for it or is a registrar; 403 otherwise."""
    job = get_object_or_404(ExportJob.objects.select_related("requested_by"), pk=pk)
    if job.requested_by_id != request.user.pk and not is_registrar(request.user):
        raise PermissionDenied(_("This export was asked for by someone else."))
    return job


def job_status(job: ExportJob) -> dict[str, Any]:
    """Return what the job pages show of `job`, as JSON-ready values."""
    return {
        "id": job.pk,
        "layer": job.layer,
        "format": job.format,
        "status": job.status,
        "status_label": str(STATUS_LABELS.get(ExportJob.Status(job.status), job.status)),
        "progress": job.progress,
        "features": job.features,
        "bytes": job.bytes,
        "error": job.error,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "download": (
            reverse("planner:download", kwargs={"pk": job.pk})
            if jobs.file_path(job) is not None
            else None
        ),
        "expired": job.status == ExportJob.Status.DONE and not job.file,
    }


@planner_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    """List the user's own export jobs, newest first."""
    mine = ExportJob.objects.filter(requested_by=cast(User, request.user)).order_by(
        "-created_at", "-pk"
    )[:100]
    rows = [(job, job_status(job), LAYERS.get(job.layer)) for job in mine]
    return render(request, "planner/job_list.html", {"rows": rows})


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one job: its parameters, its progress and, when done, its file."""
    job = _job_for(request, pk)
    context = {
        "job": job,
        "status": job_status(job),
        "rows": _described(job.layer, job.format, job.params),
    }
    return render(request, "planner/job_detail.html", context)


@login_required
@require_GET
def job_json(request: HttpRequest, pk: int) -> JsonResponse:
    """Return the job's status and progress (the job pages ask every 2 s while it runs)."""
    return JsonResponse(job_status(_job_for(request, pk)))


@login_required
@require_GET
def download(request: HttpRequest, pk: int) -> FileResponse:
    """Send the job's file to whoever asked for it, or to a registrar."""
    job = _job_for(request, pk)
    path = jobs.file_path(job)
    if path is None:
        raise Http404(_("This export has no file: it is not done, or it has expired."))
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)
