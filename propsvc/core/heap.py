"""The process heap and the cyclic garbage collector."""
import gc


def settle_heap() -> None:
    """Once what a process keeps for its lifetime is loaded (the app: app.py; the fonts, templates
    and styles: documents.pdf.warm_pdf): collect once and freeze the survivors out of the
    collector's sight. Without it every full collection walked the whole loaded heap: the first
    one after the PDF warm-up landed in a worker's first or second document (~60 ms: the
    assessment report printed in 70 ms, then 128 ms; frozen: 74, then 62). Later garbage is
    collected as usual; under gunicorn's fork the frozen pages also stay shared. (Collecting the
    young generation less often was tried too: it moved the pauses onto other documents and
    saved nothing in total, so Python's defaults stay. So was pausing the collector for a layout
    and collecting once the response was sent: 3–8 ms off a document's answer, but the full
    collection after it cost 16–30 ms of the worker's time a document, measured per request in
    one process, alternating.)"""
    gc.collect()
    gc.freeze()
