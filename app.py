"""Entry point: `flask --app app run` or `gunicorn app:app`."""
from propsvc import create_app
from propsvc.core.heap import settle_heap
from propsvc.documents.pdf import start_pdf_warmup

app = create_app()
# Fonts and layout libraries loaded in the background (PDF_WARM=thread, the default outside
# tests), so the first printed document does not pay for them; gunicorn.conf.py warms each
# worker's own request thread instead (PDF_WARM=worker).
start_pdf_warmup(app)
# Everything loaded so far (modules, templates, the app) lives as long as the process: keep it
# out of the cyclic garbage collector's full passes. A PDF render leaves thousands of cyclic
# layout objects; without this, every few renders a full collection walks the whole heap and
# that request takes ~200 ms longer (bench/pdf.py's p95). Under gunicorn's fork it also keeps
# the shared pages shared.
settle_heap()
