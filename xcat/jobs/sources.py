"""The job of a command line that may name a FILE, a cone, ADQL or an upload: one
:func:`source_job` for ``xcat ingest csc|2rxs|erass1|gaia|vizier``.
"""

from __future__ import annotations

from typing import Any

from xcat.errors import XcatError
from xcat.jobs.base import Job
from xcat.jobs.file import FileJob
from xcat.jobs.tap import Source, TapJob
from xcat.jobs.upload import UploadJob

#: How service-only options are spelled on the command line.
FLAGS = {"release": "--release", "with_detections": "--with-detections", "catalog": "CATALOG",
         "with_observations": "--with-observations",
         "mapping": "--map", "fmt": "--format"}


def source_job(kind: str, source: Source, *, name: str | None = None, ra: str | None = None,
               dec: str | None = None, file_options: dict[str, Any] | None = None,
               remote_options: dict[str, Any] | None = None,
               upload_options: dict[str, Any] | None = None,
               invalid_as_null: bool = False) -> Job:
    """A :class:`FileJob` for FILE, an :class:`UploadJob` for ``--upload``, else a
    :class:`TapJob`; options that do not apply to the chosen source are refused.

    ``file_options`` apply to FILE only (key, mapping, pos_err, fmt),
    ``remote_options`` to service queries only (release, with_detections, catalog) and
    ``upload_options`` to ``--upload`` (upload_name, upload_ra, upload_dec, upload_key).
    ``ra``/``dec`` are a FILE's position columns, or a VizieR cone's.
    ``invalid_as_null`` (FILE and service queries) stores invalid fluxes and positional
    errors as NULL instead of refusing them.

    Examples
    --------
    >>> source_job("csc", Source(cone="210.80 54.35", radius="12arcmin")).describe()[1]
    'catalog: csc21 (kind csc)'

    """
    upload = {k: v for k, v in (upload_options or {}).items() if v is not None}
    if source.upload is None and upload:
        raise XcatError("--upload-name/--upload-ra/--upload-dec/--upload-key need --upload")
    source.check(uploads=source.upload is not None)
    if source.file is not None:
        for option, value in (remote_options or {}).items():
            if value:
                raise XcatError(f"{FLAGS.get(option, option)} applies to service queries, "
                                "not to FILE")
        return FileJob(kind=kind, file=source.file, name=name, ra=ra, dec=dec,
                       invalid_as_null=invalid_as_null, **(file_options or {}))
    extra = [k for k, v in (file_options or {}).items() if v]
    if extra:
        flag = FLAGS.get(extra[0], "--" + extra[0].replace("_", "-"))
        raise XcatError(f"{flag} applies to FILE ingests only")
    if source.upload is not None:
        if invalid_as_null:
            raise XcatError("--invalid-as-null applies to FILE and cone ingests, "
                            "not to --upload")
        return UploadJob(file=source.upload, radius=source.radius or "", adql=source.adql,
                         name=name, **upload)
    return TapJob(kind=kind, cone=source.cone, object_name=source.object_name,
                  radius=source.radius, adql=source.adql, name=name, ra_col=ra, dec_col=dec,
                  invalid_as_null=invalid_as_null, **(remote_options or {}))
