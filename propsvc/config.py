"""Configuration: defaults, then instance/config.py, then environment variables."""
import os
import secrets
from pathlib import Path


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def load_config(app, overrides: dict | None = None) -> None:
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'propsvc.db'}",
        UPLOAD_FOLDER=str(instance / "uploads"),
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        SESSION_IDLE_SECONDS=30 * 60,
        KIOSK_IDLE_SECONDS=5 * 60,
        LOCKOUT_ATTEMPTS=5,
        LOCKOUT_SECONDS=15 * 60,
        PASSWORD_HASH_METHOD="scrypt",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=False,
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        # Flask-Compress: pages, fragments and text answers as br (or gzip for a client without
        # it), compressed as they are sent. br 5: ~1 ms for a 40 KB page, ~5 % smaller than the
        # library's default 4. Streamed answers (files sent from disk: photos, PDFs) are left
        # alone; static CSS/JS are compressed once, at the highest level (core.web.static_file).
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_BR_LEVEL=5,
        COMPRESS_LEVEL=6,
        COMPRESS_STREAMS=False,
        COMPRESS_REGISTER=False,  # core.web.compress_response calls it
        COMPRESS_MIMETYPES=["text/html", "text/css", "text/javascript", "application/javascript",
                            "application/json", "text/plain", "text/csv", "image/svg+xml"],
    )
    app.config.from_pyfile("config.py", silent=True)
    env = os.environ
    if env.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = env["DATABASE_URL"]
    if env.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = env["SECRET_KEY"]
    if env.get("PUBLIC_BASE_URL"):
        app.config["PUBLIC_BASE_URL"] = env["PUBLIC_BASE_URL"].rstrip("/")
    if env.get("UPLOAD_FOLDER"):
        app.config["UPLOAD_FOLDER"] = env["UPLOAD_FOLDER"]
    if env.get("PDF_WARM"):  # thread | worker | off (see propsvc.documents.pdf.start_pdf_warmup)
        app.config["PDF_WARM"] = env["PDF_WARM"]
    if "PDF_CACHE_DIR" in env:  # "" turns the printed-PDF cache off
        app.config["PDF_CACHE_DIR"] = env["PDF_CACHE_DIR"]
    app.config["SESSION_IDLE_SECONDS"] = _env_int("SESSION_IDLE_SECONDS", app.config["SESSION_IDLE_SECONDS"])
    app.config["KIOSK_IDLE_SECONDS"] = _env_int("KIOSK_IDLE_SECONDS", app.config["KIOSK_IDLE_SECONDS"])
    if overrides:
        app.config.update(overrides)
    # Warm the PDF fonts when a server starts ("thread": app.py starts a background thread;
    # "worker": gunicorn.conf.py warms each worker's request thread); never under tests.
    app.config.setdefault("PDF_WARM", "off" if app.config.get("TESTING") else "thread")
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://") or uri.startswith("postgres://"):
        # psycopg 3 is the driver; accept the plain URL people paste.
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.split("://", 1)[1]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")


def _instance_secret(path: Path) -> str:
    """Read the instance secret, creating it (mode 0600) on first run."""
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key
