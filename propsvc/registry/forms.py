from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf


class RevealForm(FlaskForm):
    field = HiddenField(validators=[AnyOf(["phone", "id_number"])])
