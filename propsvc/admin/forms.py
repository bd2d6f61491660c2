from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired


class ImportForm(FlaskForm):
    file = FileField("房屋清单文件（CSV 或 XLSX）", validators=[
        FileRequired("请选择要导入的文件"),
        FileAllowed(["csv", "xlsx"], "只能上传 CSV 或 XLSX（Excel）文件"),
    ])
