"""`GET /exports/<layer>.<format>`: a public layer as a file, at once or as a background job.

Thin view over parcels/publishing/exports.py. The layers hold no personal data, so the view is
public. A small export (at most LANDINFO["EXPORT_SYNC_MAX_FEATURES"] features) is
written by GDAL into a temporary folder and streamed back as an attachment; a larger
one would hold a worker for minutes, so the planner is sent (303) to the page that
makes it a background job with progress and a download link.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from landinfo.security import rate_limited
from parcels.publishing import exports
from parcels.publishing.layers import InvalidLayerRequest, get_layer

# The planner's page that turns the same request into a background job.
PLANNER_NEW_EXPORT = "/planner/exports/new"


def _error(status: int, error: str, detail: str) -> JsonResponse:
    return JsonResponse({"error": error, "detail": detail}, status=status)


# Exempt so that a POST is told 405 rather than 403: the view writes nothing.
@rate_limited("export")  # anonymous only: signed-in planners are not counted
@csrf_exempt
@require_safe
def export_layer(request: HttpRequest, layer: str, fmt: str) -> HttpResponseBase:
    """Return the layer in the format as an attachment, or 303 to the planner's job page."""
    try:
        chosen, format_ = get_layer(layer), exports.get_format(fmt)
    except InvalidLayerRequest as unknown:  # names what exists
        return _error(404, "not found", str(unknown))
    try:
        params = exports.export_params(request.GET, format_)
        query = params.query(chosen)
        features = exports.estimate(query)
    except InvalidLayerRequest as refusal:
        return _error(refusal.status, "invalid request", str(refusal))

    if features > settings.LANDINFO["EXPORT_SYNC_MAX_FEATURES"]:
        job = request.GET.copy()
        job["layer"], job["format"] = layer, fmt
        response = HttpResponse(status=303)
        response["Location"] = f"{PLANNER_NEW_EXPORT}?{job.urlencode()}"
        return response

    directory = Path(tempfile.mkdtemp(prefix="landinfo-export-"))
    try:
        result = exports.write_export(
            chosen,
            format_,
            directory,
            query=query,
            srid=params.srid,
            filename=params.filename(chosen, format_),
        )
        stream = result.path.open("rb")
    except exports.ExportFailed as failure:
        return _error(failure.status, "export failed", str(failure))
    finally:
        # Removed before a byte is sent: the open file stays readable through its
        # descriptor (POSIX), so nothing is left behind even if the client goes away.
        shutil.rmtree(directory, ignore_errors=True)
    download = FileResponse(
        stream, as_attachment=True, filename=result.filename, content_type=result.media_type
    )
    download.block_size = 64 * 1024  # fewer, larger writes than Django's 4 KB
    download["X-Feature-Count"] = str(result.features)
    return download
