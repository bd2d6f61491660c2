"""Entry point: `flask --app app run` or `gunicorn app:app`."""
import gc

from propsvc import create_app

app = create_app()
# Everything loaded so far (modules, templates, the app) lives as long as the process: keep it
# out of the cyclic garbage collector's full passes. A PDF render leaves thousands of cyclic
# layout objects; without this, every few renders a full collection walks the whole heap and
# that request takes ~200 ms longer (bench/pdf.py's p95). Under gunicorn's fork it also keeps
# the shared pages shared.
gc.freeze()
