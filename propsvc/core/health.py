"""/healthz for a load balancer or a monitor: can this instance serve?

Public (no sign-in), and it shows no data: only whether the database answers a trivial
SELECT and whether the upload folder exists and takes a file, plus the app's version. The
reason for a failure goes to the log, never into the answer (no paths, no exception text).
"""
import logging
import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy import text

from ..extensions import db

log = logging.getLogger(__name__)

OK = "ok"
ERROR = "error"


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("propsvc")
    except PackageNotFoundError:
        return "unknown"


def check_database() -> dict:
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
        return {"status": OK}
    except Exception:  # noqa: BLE001 - any failure means "cannot serve"
        log.warning("healthz: database check failed", exc_info=True)
        return {"status": ERROR, "reason": "unavailable"}
    finally:
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001
            log.warning("healthz: rollback after the database check failed", exc_info=True)


def check_upload_folder(folder: str | Path | None) -> dict:
    """The folder exists, is a folder, and a file can be created (and removed) in it: the only
    sure test of "writable" (permission bits do not tell for root, read-only mounts, full disks)."""
    if not folder:
        return {"status": ERROR, "reason": "not_configured"}
    path = Path(folder)
    if not path.exists():
        log.warning("healthz: upload folder %s does not exist", path)
        return {"status": ERROR, "reason": "missing"}
    if not path.is_dir():
        log.warning("healthz: upload folder %s is not a folder", path)
        return {"status": ERROR, "reason": "not_a_folder"}
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".healthz-", delete=True) as fh:
            fh.write(b"ok")
            fh.flush()
    except OSError:
        log.warning("healthz: upload folder %s is not writable", path, exc_info=True)
        return {"status": ERROR, "reason": "not_writable"}
    return {"status": OK}


def report() -> tuple[dict, int]:
    """The JSON body and the HTTP status: 200 when every check passes, else 503."""
    checks = {
        "database": check_database(),
        "upload_folder": check_upload_folder(current_app.config.get("UPLOAD_FOLDER")),
    }
    healthy = all(c["status"] == OK for c in checks.values())
    body = {"status": OK if healthy else ERROR, "version": app_version(), "checks": checks}
    return body, 200 if healthy else 503
