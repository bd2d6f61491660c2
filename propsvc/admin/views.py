"""Admin pages: importing the unit register from a spreadsheet."""
from io import BytesIO

from flask import Blueprint, flash, g, redirect, send_file, url_for

from ..core.access import allow
from ..core.roles import Role
from ..core.web import render_page
from ..registry import importer
from .forms import ImportForm

bp = Blueprint("admin", __name__, url_prefix="/admin")

SHOWN_ERRORS = 500  # a page of 20,000 errors helps no one; the count says how many more


@bp.route("/import", methods=["GET", "POST"])
@allow(Role.ADMIN)
def import_units():
    """Upload a CSV/XLSX of buildings, units and owners into the current community: all rows or none."""
    form = ImportForm()
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        result = importer.import_file(g.community, upload.filename, upload)
        if result.ok:
            flash(result.summary, "success")
            return redirect(url_for("admin.import_units"), 303)
    failed = bool(form.errors or (result and result.errors))
    return render_page("admin/import.html", status=422 if failed else 200, form=form, result=result,
                       columns=importer.COLUMNS, max_rows=importer.MAX_ROWS,
                       max_mb=importer.MAX_BYTES // (1024 * 1024), shown_errors=SHOWN_ERRORS)


@bp.get("/import/example.csv")
@allow(Role.ADMIN)
def import_example():
    return send_file(BytesIO(importer.example_csv()), mimetype="text/csv", as_attachment=True,
                     download_name="房屋导入示例.csv")

from . import users  # noqa: E402,F401  (the staff pages' routes, on this blueprint)
from . import seal  # noqa: E402,F401  (the community seal page, on this blueprint)
