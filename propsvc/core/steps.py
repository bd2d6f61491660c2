"""One step runner for a record's page: the shape every workflow step posts through.

A record's page (a renovation, a release slip, a parcel …) offers steps, each a small form
posted to its own URL. Every such POST runs the same way:

    load the record of this community (locked) → validate the step's form → [its one-time key
    was claimed already: core.idempotency, before the view] → call the service → commit and go
    back to the page with the done message; or roll back and answer the page again with the
    form's errors (422 bad input, 409 a step out of order, the service's own status).

An area declares its page once (`StepPage`: how to load the record, the step forms, the page
function, the page's URL, the service's refusal) and each step as a view: its route, who may
use it (@allow), `@STEPS.step(name, done=…)` and the service call (see propsvc/slips/views.py,
renovation/views.py, errands/views.py).

The step function gets the record, the validated form and the route's other arguments; it
calls the service and returns the done message (None: the step's `done`). It never commits.
A refusal (`refusal`, a ValueError with `.status` and, optionally, `.field`) carries the Chinese
message shown on the page.
"""
from dataclasses import dataclass
from functools import wraps
from typing import Any, Callable, Mapping

from flask import abort, flash, redirect

from ..extensions import db
from . import idempotency
from .web import local_next


@dataclass(frozen=True)
class StepPage:
    """A record's page and the steps posted from it."""

    load: Callable[..., Any]            # (record_id, lock=False) -> the record of this community, or 404
    forms: Mapping[str, type]           # step name -> its form class (rendered and posted with prefix=name)
    page: Callable[..., Any]            # (record, status, error=, failed=, failed_form=) -> the page
    show_url: Callable[[Any], str]      # the record's page: where a done step goes
    refusal: type[Exception]            # the service's refusal: str(e), e.status (e.field)
    lock: bool = True                   # load the record locked (FOR UPDATE) for the step
    back_to_next: bool = False          # a posted `next` (a list the step was sent from) wins over show_url
    errors_on_fields: bool = False      # a 422 refusal naming a field of the form: shown next to it, alone
    on_repeat: Callable[[str], str | None] | None = None  # where a repeated step goes (core.idempotency)

    def forms_for(self, failed: str | None = None, failed_form=None, names=None) -> dict:
        """The page's step forms: blank ones, and the failed step's form as posted."""
        return {name: failed_form if name == failed else self.forms[name](formdata=None, prefix=name)
                for name in (names if names is not None else self.forms)}

    def run(self, record_id: int, name: str, act: Callable[..., str | None], done: str | None = None, **args):
        """Run step `name` on the record `record_id`: see the module's docstring."""
        record = self.load(record_id, lock=self.lock)
        form = self.forms[name](prefix=name)
        if not form.validate_on_submit():
            return self.page(record, 422, failed=name, failed_form=form)
        try:
            message = act(record, form, **args) or done
            db.session.commit()
        except self.refusal as e:
            db.session.rollback()
            status = getattr(e, "status", 409)
            if status == 404:
                abort(404)
            record = self.load(record_id)
            if self.errors_on_fields:
                field = getattr(e, "field", None)
                if status == 422 and field and hasattr(form, field):
                    getattr(form, field).errors = [str(e)]
                    return self.page(record, 422, failed=name, failed_form=form)
                return self.page(record, status, error=str(e))
            return self.page(record, status, error=str(e), failed=name if status == 422 else None,
                             failed_form=form)
        flash(message, "ok")
        return redirect((local_next() if self.back_to_next else None) or self.show_url(record), 303)

    def step(self, name: str, done: str | None = None):
        """Declare a view as step `name` of this page: the decorated function is the service call
        `(record, form, **other route args) -> done message | None`; the route's first argument is
        the record's id."""
        def deco(act):
            @wraps(act)
            def view(**route_args):
                record_id = route_args.pop(next(iter(route_args)))
                return self.run(record_id, name, act, done, **route_args)
            if self.on_repeat is not None:
                idempotency.on_repeat(self.on_repeat)(view)
            return view
        return deco
