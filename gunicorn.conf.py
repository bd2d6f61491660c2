"""gunicorn settings read from the working directory (`gunicorn app:app`, `make serve`).

Each worker warms the PDF fonts in its own request thread before it takes requests
(propsvc.documents.pdf.warm_pdf: Pango, fontconfig, HarfBuzz, the font subset, the print
templates), so a worker's first printed document is as quick as the next ones. PDF_WARM=off
in the environment turns it off. Nothing PDF-related is loaded in the master process: the
libraries are not fork-safe once loaded.
"""
import os

os.environ.setdefault("PDF_WARM", "worker")  # app.py then starts no background thread


def post_worker_init(worker):
    if os.environ.get("PDF_WARM") != "worker":
        return
    from propsvc.documents.pdf import warm_pdf

    took = warm_pdf(worker.wsgi)
    worker.log.info("PDF fonts warmed in %.0f ms", took * 1000)
